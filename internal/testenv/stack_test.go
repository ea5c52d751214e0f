package testenv_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

func TestStackServesTLSThroughPgBouncer(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	begin := time.Now()
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true})
	t.Logf("stack with PgBouncer started in %v", time.Since(begin).Round(time.Millisecond))

	// Directly to PostgreSQL, verify-full against 127.0.0.1.
	direct := connect(t, s.PostgresDSN(testenv.UserApp, "verify-full"), pgx.QueryExecModeCacheStatement)
	var ssl bool
	var version string
	if err := direct.QueryRow(ctx, "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").
		Scan(&ssl, &version); err != nil {
		t.Fatalf("pg_stat_ssl direct: %v", err)
	}
	if !ssl || !strings.HasPrefix(version, "TLSv1.") {
		t.Fatalf("direct session: ssl=%v version=%q, want TLS", ssl, version)
	}
	if err := selectOne(ctx, s.PostgresDSN(testenv.UserMonitor, "verify-full"), pgx.QueryExecModeExec); err != nil {
		t.Fatalf("monitor direct: %v", err)
	}

	// Through PgBouncer, verify-full to PgBouncer; the backend that serves the
	// transaction must itself be on TLS.
	pooled := connect(t, s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full"), pgx.QueryExecModeExec)
	var one int
	if err := pooled.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 through PgBouncer: %v (got %d)", err, one)
	}
	var backendSSL bool
	var clientAddr string
	if err := pooled.QueryRow(ctx,
		"SELECT s.ssl, host(a.client_addr) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.pid = pg_backend_pid()").
		Scan(&backendSSL, &clientAddr); err != nil {
		t.Fatalf("pg_stat_ssl through PgBouncer: %v", err)
	}
	if !backendSSL || clientAddr != "127.0.0.1" {
		t.Fatalf("PgBouncer's server session: ssl=%v client_addr=%q, want ssl over 127.0.0.1", backendSSL, clientAddr)
	}

	// The admin console shows TLS on both sides.
	admin := connect(t, s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"), pgx.QueryExecModeSimpleProtocol)
	rows, err := admin.Query(ctx, "SHOW SERVERS")
	if err != nil {
		t.Fatalf("SHOW SERVERS: %v", err)
	}
	servers, err := pgx.CollectRows(rows, pgx.RowToMap)
	if err != nil {
		t.Fatalf("SHOW SERVERS rows: %v", err)
	}
	if len(servers) == 0 || !strings.HasPrefix(servers[0]["tls"].(string), "TLSv1") {
		t.Fatalf("SHOW SERVERS: want a TLS server connection, got %v", servers)
	}

	// Plaintext is rejected by default, both by pg_hba and by PgBouncer.
	if err := selectOne(ctx, s.PostgresDSN(testenv.UserApp, "disable"), pgx.QueryExecModeExec); err == nil {
		t.Fatal("plaintext session to PostgreSQL succeeded, want rejection")
	}
	if err := selectOne(ctx, s.PgBouncerDSN(testenv.UserApp, testenv.Database, "disable"), pgx.QueryExecModeExec); err == nil {
		t.Fatal("plaintext session to PgBouncer succeeded, want rejection")
	}
	if err := selectOne(ctx, s.SocketDSN(testenv.UserPostgres, testenv.Database), pgx.QueryExecModeExec); err != nil {
		t.Fatalf("superuser over unix socket: %v", err)
	}
	if err := selectOne(ctx, s.PgBouncerSocketDSN(testenv.UserApp, testenv.Database), pgx.QueryExecModeExec); err != nil {
		t.Fatalf("app over PgBouncer's unix socket: %v", err)
	}
	num, err := s.ServerVersionNum(ctx)
	if err != nil || num < 120000 {
		t.Fatalf("ServerVersionNum = %d, %v", num, err)
	}
	if v, err := s.PgBouncerVersion(ctx); err != nil || !strings.HasPrefix(v, "PgBouncer ") {
		t.Fatalf("PgBouncerVersion = %q, %v", v, err)
	}
	log, err := s.PostgresLog()
	if err != nil || !strings.Contains(log, "connection authorized: user=app") {
		t.Fatalf("PostgreSQL log lacks app's authorization (err %v):\n%s", err, log)
	}
}

func TestStackAllowPlaintext(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := testenv.StartT(t, testenv.Options{AllowPlaintext: true})
	if s.PgBouncerAddr() != "" {
		t.Fatalf("PgBouncerAddr = %q without PgBouncer", s.PgBouncerAddr())
	}
	conn := connect(t, s.PostgresDSN(testenv.UserMonitor, "disable"), pgx.QueryExecModeExec)
	var ssl bool
	if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil {
		t.Fatalf("pg_stat_ssl: %v", err)
	}
	if ssl {
		t.Fatal("sslmode=disable session reports ssl=true")
	}
}

func TestStackReloadRotatesCertificates(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	s := testenv.StartT(t, testenv.Options{Certs: tc.Files, WithPgBouncer: true})

	for _, side := range []struct {
		name   string
		addr   string
		rotate func() string
		old    string
	}{
		{"postgres", s.PostgresAddr(), func() string {
			return tc.RotatePostgres(t, testenv.PostgresCertOptions()).Cert.SerialNumber.String()
		}, tc.Postgres.Cert.SerialNumber.String()},
		{"pgbouncer", s.PgBouncerAddr(), func() string {
			return tc.RotatePgBouncer(t, testenv.PgBouncerCertOptions()).Cert.SerialNumber.String()
		}, tc.PgBouncer.Cert.SerialNumber.String()},
	} {
		cert, err := servedCert(ctx, side.addr, tc.Files.CA)
		if err != nil {
			t.Fatalf("%s before rotation: %v", side.name, err)
		}
		if got := cert.SerialNumber.String(); got != side.old {
			t.Fatalf("%s serves serial %s, want %s", side.name, got, side.old)
		}
		want := side.rotate()
		if err := s.Reload(ctx); err != nil {
			t.Fatalf("reload after rotating %s: %v", side.name, err)
		}
		cert, err = servedCert(ctx, side.addr, tc.Files.CA)
		if err != nil {
			t.Fatalf("%s after rotation: %v", side.name, err)
		}
		if got := cert.SerialNumber.String(); got != want {
			t.Fatalf("%s serves serial %s after reload, want new serial %s", side.name, got, want)
		}
	}
	// PgBouncer still verifies PostgreSQL's new certificate on new server sessions.
	if err := selectOne(ctx, s.PgBouncerDSN(testenv.UserMonitor, testenv.Database, "verify-full"), pgx.QueryExecModeExec); err != nil {
		t.Fatalf("through PgBouncer after rotation: %v", err)
	}
}

func TestStackRestartPostgres(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true})
	viaBouncer := s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full")
	if err := selectOne(ctx, viaBouncer, pgx.QueryExecModeExec); err != nil {
		t.Fatalf("before restart: %v", err)
	}
	oldPID := s.PostgresPID()
	begin := time.Now()
	if err := s.StopPostgres(ctx); err != nil {
		t.Fatalf("StopPostgres: %v", err)
	}
	t.Logf("PostgreSQL stopped in %v", time.Since(begin).Round(time.Millisecond))
	if s.PostgresPID() != 0 {
		t.Fatalf("PostgresPID = %d after stop", s.PostgresPID())
	}
	if err := selectOne(ctx, s.PostgresDSN(testenv.UserApp, "verify-full"), pgx.QueryExecModeExec); err == nil {
		t.Fatal("PostgreSQL answered while stopped")
	}
	if err := s.StopPostgres(ctx); err != nil {
		t.Fatalf("second StopPostgres: %v", err)
	}
	begin = time.Now()
	if err := s.StartPostgres(ctx); err != nil {
		t.Fatalf("StartPostgres: %v", err)
	}
	t.Logf("PostgreSQL restarted in %v", time.Since(begin).Round(time.Millisecond))
	if s.PostgresPID() == oldPID || s.PostgresPID() == 0 {
		t.Fatalf("PostgresPID = %d after restart (was %d)", s.PostgresPID(), oldPID)
	}
	if err := s.StartPostgres(ctx); err == nil {
		t.Fatal("StartPostgres while running succeeded, want an error")
	}
	if err := selectOne(ctx, s.PostgresDSN(testenv.UserApp, "verify-full"), pgx.QueryExecModeExec); err != nil {
		t.Fatalf("direct after restart: %v", err)
	}
	eventually(t, 20*time.Second, "PgBouncer after restart", func() error {
		return selectOne(ctx, viaBouncer, pgx.QueryExecModeExec)
	})

	// PgBouncer can be bounced too, on the same port.
	if err := s.StopPgBouncer(ctx); err != nil {
		t.Fatalf("StopPgBouncer: %v", err)
	}
	if err := selectOne(ctx, viaBouncer, pgx.QueryExecModeExec); err == nil {
		t.Fatal("PgBouncer answered while stopped")
	}
	if err := s.StartPgBouncer(ctx); err != nil {
		t.Fatalf("StartPgBouncer: %v", err)
	}
	if err := selectOne(ctx, viaBouncer, pgx.QueryExecModeExec); err != nil {
		t.Fatalf("through PgBouncer after its restart: %v", err)
	}
}

func TestStartWithoutCertsFails(t *testing.T) {
	t.Parallel()
	_, err := testenv.Start(context.Background(), testenv.Options{})
	if err == nil || !strings.Contains(err.Error(), "Certs") {
		t.Fatalf("Start without certificates: %v, want an error naming Certs", err)
	}
}
