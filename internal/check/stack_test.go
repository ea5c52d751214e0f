package check

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// TestCheckShowsServedCertificates runs check against a real stack: healthy
// first, then with a renewed file the server has not reloaded, then with a
// target that does not answer.
func TestCheckShowsServedCertificates(t *testing.T) {
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	s := testenv.StartT(t, testenv.Options{Certs: tc.Files, WithPgBouncer: true})
	f := tc.Files
	cfgPath := testcerts.WriteFile(t, filepath.Join(t.TempDir(), "config.yml"), []byte(fmt.Sprintf(`
ca: {cert: %s}
certificates:
  - {name: postgres, cert: %s, key: %s, expected_names: [db]}
  - {name: pgbouncer, cert: %s, key: %s, expected_names: [pgbouncer]}
targets:
  - {name: postgres, address: %q, server_name: db, certificate: postgres}
  - {name: pgbouncer, address: %q, server_name: pgbouncer, certificate: pgbouncer}
`, f.CA, f.PostgresCert, f.PostgresKey, f.PgBouncerCert, f.PgBouncerKey, s.PostgresAddr(), s.PgBouncerAddr())), 0o644)
	run := func() (int, string) {
		var out bytes.Buffer
		code := Run(context.Background(), &out, Options{ConfigFile: cfgPath})
		return code, out.String()
	}
	code, out := run()
	if code != 0 {
		t.Fatalf("healthy stack: exit %d\n%s", code, out)
	}
	oldSerial := certs.Serial(tc.Postgres.Cert)
	for _, want := range [][6]string{
		{"postgres", "handshake", "OK", "-", s.PostgresAddr(), "TLSv1.3 "},
		{"postgres", "served-verify", "OK", "-", s.PostgresAddr(), "verify-full passed for db"},
		{"postgres", "served-vs-file", "OK", "-", s.PostgresAddr(), "serves serial " + oldSerial + ", the certificate file of postgres"},
		{"pgbouncer", "served-verify", "OK", "-", s.PgBouncerAddr(), "verify-full passed for pgbouncer"},
	} {
		if !hasRow(out, want) {
			t.Errorf("report lacks %q\n%s", want, out)
		}
	}

	newSerial := certs.Serial(tc.RotatePostgres(t, testenv.PostgresCertOptions()).Cert)
	code, out = run()
	want := fmt.Sprintf("serves serial %s, but the certificate file of postgres holds serial %s: reload pending or failed", oldSerial, newSerial)
	if code != 1 || !hasRow(out, [6]string{"postgres", "served-vs-file", "WARNING", "stale_certificate", s.PostgresAddr(), want}) {
		t.Fatalf("reload pending: exit %d, want 1 and %q\n%s", code, want, out)
	}

	ctx := context.Background()
	if err := s.StopPgBouncer(ctx); err != nil {
		t.Fatal(err)
	}
	code, out = run()
	if code != 2 || !hasRow(out, [6]string{"pgbouncer", "handshake", "CRITICAL", "connection_refused", s.PgBouncerAddr(), "connection refused"}) {
		t.Fatalf("PgBouncer down: exit %d\n%s", code, out)
	}
}

// hasRow reports whether the text report has a row with this entry, check,
// status, code and path whose detail contains the sixth string.
func hasRow(report string, want [6]string) bool {
	for _, line := range strings.Split(report, "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && f[0] == want[0] && f[1] == want[1] && f[2] == want[2] && f[3] == want[3] && f[4] == want[4] &&
			strings.Contains(strings.Join(f[5:], " "), want[5]) {
			return true
		}
	}
	return false
}
