package testenv

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// InCI reports whether the CI environment variable is "true". Tests must
// not skip for a missing environment there.
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipOrFatal ends the test for an environment that cannot run the stack:
// t.Fatal in CI (CI=true), t.Skip elsewhere.
func SkipOrFatal(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("CI=true, refusing to skip: "+format, args...)
	}
	tb.Skipf(format, args...)
}

// StartT starts a stack for a test, registers Close with t.Cleanup, and writes default
// certificates (a CA, a postgres cert with SANs postgres,db,localhost,127.0.0.1 and a pgbouncer
// cert with pgbouncer,localhost,127.0.0.1, ECDSA P-256, via internal/testcerts) into t.TempDir-based
// files when opts.Certs is empty. If binaries are missing: t.Skip locally, but when the env var
// CI=true it must t.Fatal (never skip in CI). Without opts.Dir the stack lives
// in a t.TempDir; without opts.Log it logs to t.Output (shown with -v or on failure).
func StartT(t testing.TB, opts Options) *Stack {
	t.Helper()
	if opts.Certs == (CertFiles{}) {
		opts.Certs = WriteTestCerts(t, filepath.Join(t.TempDir(), "certs")).Files
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir() // its removal is registered before Close, so it runs after
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, opts)
	if errors.Is(err, ErrUnavailable) {
		SkipOrFatal(t, "test stack unavailable: %v", err)
	}
	if err != nil {
		t.Fatalf("start test stack: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close test stack: %v", err)
		}
	})
	return s
}

// TestCerts is a test PKI written to disk: a CA and the two server
// certificates, with the files the servers read.
type TestCerts struct {
	Files     CertFiles
	CA        *testcerts.Issued
	Postgres  *testcerts.Issued
	PgBouncer *testcerts.Issued
}

// PostgresCertOptions are the default PostgreSQL certificate's options.
func PostgresCertOptions() testcerts.Options {
	return testcerts.Options{CommonName: "postgres", DNSNames: []string{"postgres", "db", "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyType: testcerts.ECDSAP256}
}

// PgBouncerCertOptions are the default PgBouncer certificate's options.
func PgBouncerCertOptions() testcerts.Options {
	return testcerts.Options{CommonName: "pgbouncer", DNSNames: []string{"pgbouncer", "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyType: testcerts.ECDSAP256}
}

// WriteTestCerts issues the default test PKI and writes it under dir as
// ca.crt, postgres.crt/.key and pgbouncer.crt/.key (keys 0600).
func WriteTestCerts(tb testing.TB, dir string) *TestCerts {
	tb.Helper()
	ca := testcerts.CA(tb, "pgtls test CA")
	tc := &TestCerts{
		CA:        ca,
		Postgres:  testcerts.Issue(tb, ca, PostgresCertOptions()),
		PgBouncer: testcerts.Issue(tb, ca, PgBouncerCertOptions()),
		Files: CertFiles{
			CA:            filepath.Join(dir, "ca.crt"),
			PostgresCert:  filepath.Join(dir, "postgres.crt"),
			PostgresKey:   filepath.Join(dir, "postgres.key"),
			PgBouncerCert: filepath.Join(dir, "pgbouncer.crt"),
			PgBouncerKey:  filepath.Join(dir, "pgbouncer.key"),
		},
	}
	testcerts.WriteFile(tb, tc.Files.CA, ca.CertPEM, 0o644)
	testcerts.WriteFile(tb, tc.Files.PostgresCert, tc.Postgres.CertPEM, 0o644)
	testcerts.WriteFile(tb, tc.Files.PostgresKey, tc.Postgres.KeyPEM, 0o600)
	testcerts.WriteFile(tb, tc.Files.PgBouncerCert, tc.PgBouncer.CertPEM, 0o644)
	testcerts.WriteFile(tb, tc.Files.PgBouncerKey, tc.PgBouncer.KeyPEM, 0o600)
	return tc
}

// RotatePostgres issues a new PostgreSQL certificate from the same CA (with
// opts, or the defaults when opts.CommonName is empty) and overwrites the
// cert and key files in place, keeping their owner and mode. Call
// Stack.Reload afterwards.
func (tc *TestCerts) RotatePostgres(tb testing.TB, opts testcerts.Options) *testcerts.Issued {
	tb.Helper()
	if opts.CommonName == "" {
		opts = PostgresCertOptions()
	}
	tc.Postgres = testcerts.Issue(tb, tc.CA, opts)
	overwrite(tb, tc.Files.PostgresKey, tc.Postgres.KeyPEM)
	overwrite(tb, tc.Files.PostgresCert, tc.Postgres.CertPEM)
	return tc.Postgres
}

// RotatePgBouncer is RotatePostgres for PgBouncer's certificate.
func (tc *TestCerts) RotatePgBouncer(tb testing.TB, opts testcerts.Options) *testcerts.Issued {
	tb.Helper()
	if opts.CommonName == "" {
		opts = PgBouncerCertOptions()
	}
	tc.PgBouncer = testcerts.Issue(tb, tc.CA, opts)
	overwrite(tb, tc.Files.PgBouncerKey, tc.PgBouncer.KeyPEM)
	overwrite(tb, tc.Files.PgBouncerCert, tc.PgBouncer.CertPEM)
	return tc.PgBouncer
}

// overwrite replaces a file's content in place (same inode, owner and mode).
func overwrite(tb testing.TB, path string, data []byte) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		tb.Fatalf("open %s to overwrite: %v", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		tb.Fatalf("overwrite %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		tb.Fatalf("overwrite %s: %v", path, err)
	}
}

// PortT reserves a loopback port for a server the test starts (see
// ReservePort) and releases it when the test ends.
func PortT(tb testing.TB) int {
	tb.Helper()
	p, err := ReservePort()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Release)
	return p.Number
}
