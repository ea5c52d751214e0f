package targets_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/targets"
	"github.com/magflow/pgtls_exporter/internal/testenv"
	"github.com/magflow/pgtls_exporter/probe"
)

// stackConfig describes a running test stack the way an operator would.
func stackConfig(t *testing.T, tc *testenv.TestCerts, s *testenv.Stack, negotiation probe.Negotiation) *config.Config {
	t.Helper()
	f := tc.Files
	bouncerTarget := ""
	if s.PgBouncerAddr() != "" {
		bouncerTarget = fmt.Sprintf("  - {name: pgbouncer, address: %q, server_name: pgbouncer, certificate: pgbouncer}\n", s.PgBouncerAddr())
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
ca: {cert: %s}
certificates:
  - {name: postgres, cert: %s, key: %s, expected_names: [postgres, db, localhost, 127.0.0.1]}
  - {name: pgbouncer, cert: %s, key: %s, expected_names: [pgbouncer, localhost, 127.0.0.1]}
targets:
  - {name: postgres, address: %q, server_name: db, certificate: postgres, negotiation: %s}
%sprobe: {timeout: 5s}
`, f.CA, f.PostgresCert, f.PostgresKey, f.PgBouncerCert, f.PgBouncerKey, s.PostgresAddr(), negotiation, bouncerTarget)), filepath.Dir(f.CA))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startStack(t *testing.T, opts testenv.Options) (*testenv.Stack, *testenv.TestCerts) {
	t.Helper()
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	opts.Certs = tc.Files
	return testenv.StartT(t, opts), tc
}

func probeAll(t *testing.T, cfg *config.Config, in *inspect.Inspector) map[string]*targets.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := map[string]*targets.Report{}
	for _, r := range targets.New(cfg).ProbeAll(ctx, in.Inspect(time.Now())) {
		if r.Err != nil {
			t.Fatalf("probe %s: %v", r.Target.Name, r.Err)
		}
		out[r.Target.Name] = r
	}
	return out
}

// opensslSerial asks openssl s_client, independently of our code, which
// certificate the server at addr serves.
func opensslSerial(t *testing.T, addr, caFile, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sh", "-c", fmt.Sprintf(
		"openssl s_client -starttls postgres -connect %s -CAfile %s -verify_hostname %s -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial",
		addr, caFile, name)).Output()
	if err != nil {
		t.Fatalf("openssl s_client: %v", err)
	}
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(string(out)), "serial="))
}

func TestProbesSeeReloadOnRealStack(t *testing.T) {
	s, tc := startStack(t, testenv.Options{WithPgBouncer: true})
	cfg := stackConfig(t, tc, s, probe.NegotiationPostgres)
	in := inspect.New(cfg, 1)

	before := probeAll(t, cfg, in)
	for name, r := range before {
		if !r.Result.Verified() || r.Drift == nil || !r.Drift.Matches || r.Drift.Err != nil {
			t.Fatalf("%s before rotation: verify %v drift %+v", name, r.Result.VerifyErr(), r.Drift)
		}
	}
	oldPG := certs.Serial(tc.Postgres.Cert)
	if got := before["postgres"].Served.Serial; got != oldPG {
		t.Fatalf("postgres serves %s, want %s", got, oldPG)
	}
	if got := opensslSerial(t, s.PostgresAddr(), tc.Files.CA, "db"); got != oldPG {
		t.Fatalf("openssl sees %s, want %s", got, oldPG)
	}

	newPG := certs.Serial(tc.RotatePostgres(t, testenv.PostgresCertOptions()).Cert)
	newBouncer := certs.Serial(tc.RotatePgBouncer(t, testenv.PgBouncerCertOptions()).Cert)
	pending := probeAll(t, cfg, in)
	for name, r := range pending {
		if r.Drift.Matches {
			t.Fatalf("%s: files replaced, no reload yet, but drift says it matches", name)
		}
	}
	if d := pending["postgres"].Drift; d.FileSerial != newPG || pending["postgres"].Served.Serial != oldPG {
		t.Fatalf("postgres pending: file %s served %s", d.FileSerial, pending["postgres"].Served.Serial)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	after := probeAll(t, cfg, in)
	for name, want := range map[string]string{"postgres": newPG, "pgbouncer": newBouncer} {
		r := after[name]
		if !r.Drift.Matches || r.Served.Serial != want || !r.Result.Verified() {
			t.Fatalf("%s after reload: serves %s (want %s) drift %+v verify %v", name, r.Served.Serial, want, r.Drift, r.Result.VerifyErr())
		}
	}
	if got := opensslSerial(t, s.PostgresAddr(), tc.Files.CA, "db"); got != newPG {
		t.Fatalf("openssl sees %s after reload, want %s", got, newPG)
	}
	if got := opensslSerial(t, s.PgBouncerAddr(), tc.Files.CA, "pgbouncer"); got != newBouncer {
		t.Fatalf("openssl sees %s at PgBouncer after reload, want %s", got, newBouncer)
	}
	assertQuietLog(t, s)
}

// assertQuietLog checks that our probes left no protocol complaints in
// PostgreSQL's log.
func assertQuietLog(t *testing.T, s *testenv.Stack) {
	t.Helper()
	log, err := s.PostgresLog()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"unencrypted data after SSL request", "invalid length of startup packet",
		"incomplete startup packet", "could not receive data from client", "received direct SSL connection request without ALPN",
		"protocol", "could not accept SSL connection"} {
		if strings.Contains(log, bad) {
			t.Errorf("PostgreSQL log has %q:\n%s", bad, log)
		}
	}
}

func TestVerifyFailureIsStillASuccessfulProbe(t *testing.T) {
	s, tc := startStack(t, testenv.Options{})
	cfg := stackConfig(t, tc, s, probe.NegotiationPostgres)
	cfg.Targets[0].ServerName = "elsewhere.example"
	r := probeAll(t, cfg, inspect.New(cfg, 1))["postgres"]
	if r.Result.Verified() || r.Result.Verification.Reason != certs.VerifyNameMismatch {
		t.Fatalf("verify err %v", r.Result.VerifyErr())
	}
	if !r.Drift.Matches {
		t.Fatalf("drift %+v", r.Drift)
	}
}

// TestDirectTLSOnPostgres17 runs the direct negotiation (TLS first, ALPN
// "postgresql") against a real PostgreSQL 17, and the SSLRequest one too.
func TestDirectTLSOnPostgres17(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := testenv.EnsurePostgres17(ctx, "")
	if err != nil {
		testenv.SkipOrFatal(t, "PostgreSQL 17 unavailable: %v", err)
	}
	s, tc := startStack(t, testenv.Options{PgBinDir: bin})
	for _, n := range probe.Negotiations() {
		cfg := stackConfig(t, tc, s, n)
		r := probeAll(t, cfg, inspect.New(cfg, 1))["postgres"]
		if !r.Result.Verified() || !r.Drift.Matches || r.Result.NegotiatedProtocol != "postgresql" {
			t.Fatalf("%s: verify %v drift %+v alpn %q", n, r.Result.VerifyErr(), r.Drift, r.Result.NegotiatedProtocol)
		}
	}
	assertQuietLog(t, s)
}

// TestProbesLeaveServerLogsQuiet: a probe says goodbye the way a
// well-behaved client does, so neither server logs anything for it but
// PostgreSQL's log_connections line; a bare TLS handshake that just closes
// makes PgBouncer log a WARNING every time.
func TestProbesLeaveServerLogsQuiet(t *testing.T) {
	s, tc := startStack(t, testenv.Options{WithPgBouncer: true})
	cfg := stackConfig(t, tc, s, probe.NegotiationPostgres)
	in := inspect.New(cfg, 1)
	pgBefore, bouncerBefore := logLength(t, s.PostgresLog), logLength(t, s.PgBouncerLog)
	const rounds = 10
	for range rounds {
		for name, r := range probeAll(t, cfg, in) {
			if !r.Result.Verified() || !r.Result.ClientCertificateRequested {
				t.Fatalf("%s: verify %v, client certificate requested %v", name, r.Result.VerifyErr(), r.Result.ClientCertificateRequested)
			}
		}
	}
	connections := 0
	for _, line := range newLogLines(t, s.PostgresLog, pgBefore) {
		if strings.Contains(line, "LOG:  connection received: host=127.0.0.1") {
			connections++
			continue
		}
		t.Errorf("PostgreSQL logged for a probe: %s", line)
	}
	if connections != rounds {
		t.Errorf("PostgreSQL logged %d connections, want %d", connections, rounds)
	}
	for _, line := range newLogLines(t, s.PgBouncerLog, bouncerBefore) {
		// The stack's own readiness check logs in to the admin console
		// and may be logged a moment after the start.
		if !testenv.RoutineLogLine(line) {
			t.Errorf("PgBouncer logged for a probe: %s", line)
		}
	}
}

func logLength(t *testing.T, read func() (string, error)) int {
	t.Helper()
	log, err := read()
	if err != nil {
		t.Fatal(err)
	}
	return len(log)
}

// newLogLines returns the lines of a log after its first n bytes. A server
// may log for the last probe a moment after it returned; the probes before
// it are all in.
func newLogLines(t *testing.T, read func() (string, error), n int) []string {
	t.Helper()
	log, err := read()
	if err != nil {
		t.Fatal(err)
	}
	return strings.FieldsFunc(log[n:], func(r rune) bool { return r == '\n' })
}
