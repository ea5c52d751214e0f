package testenv_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

func TestPostgres17(t *testing.T) {
	t.Parallel()
	if testing.Short() && !testenv.InCI() {
		t.Skip("downloads PostgreSQL 17 from npm; skipped with -short")
	}
	ctx := ctxT(t)
	begin := time.Now()
	bin, err := testenv.EnsurePostgres17(ctx, "")
	if err != nil {
		testenv.SkipOrFatal(t, "PostgreSQL 17 unavailable: %v", err)
	}
	t.Logf("PostgreSQL 17 binaries ready in %v at %s", time.Since(begin).Round(time.Millisecond), bin)
	again, err := testenv.EnsurePostgres17(ctx, "")
	if err != nil || again != bin {
		t.Fatalf("second EnsurePostgres17 = %q, %v; want %q", again, err, bin)
	}

	s := testenv.StartT(t, testenv.Options{PgBinDir: bin, WithPgBouncer: true})
	version, err := s.PostgresVersion(ctx)
	if err != nil {
		t.Fatalf("PostgresVersion: %v", err)
	}
	if !strings.HasPrefix(version, "17") {
		t.Fatalf("server_version = %q, want 17.x", version)
	}
	var shown string
	conn := connect(t, s.PostgresDSN(testenv.UserMonitor, "verify-full"), pgx.QueryExecModeExec)
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&shown); err != nil || !strings.HasPrefix(shown, "17") {
		t.Fatalf("SHOW server_version over TLS = %q, %v", shown, err)
	}
	if err := selectOne(ctx, s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full"), pgx.QueryExecModeExec); err != nil {
		t.Fatalf("through PgBouncer: %v", err)
	}

	// Direct TLS: the first byte is a ClientHello and ALPN must be "postgresql".
	pem, err := os.ReadFile(s.Certs().CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second},
		Config: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: []string{"postgresql"}}}
	c, err := dialer.DialContext(ctx, "tcp", s.PostgresAddr())
	if err != nil {
		t.Fatalf("direct TLS with ALPN: %v", err)
	}
	defer c.Close()
	if got := c.(*tls.Conn).ConnectionState().NegotiatedProtocol; got != "postgresql" {
		t.Fatalf("negotiated ALPN %q, want postgresql", got)
	}
}
