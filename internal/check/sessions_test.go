package check

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// TestCheckSessionsOnRealStack: plaintext sessions on PostgreSQL and
// PgBouncer are warnings, PgBouncer's plaintext server connection is
// CRITICAL under expect_server_tls, and an unreachable server is UNKNOWN
// without its password.
func TestCheckSessionsOnRealStack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true, AllowPlaintext: true,
		PgBouncerClientTLSMode: "prefer", PgBouncerServerTLSMode: "disable"})
	connect := func(dsn string) *pgx.Conn {
		c, err := pgx.Connect(ctx, dsn+" default_query_exec_mode=simple_protocol")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
	connect(s.PostgresDSN(testenv.UserApp, "disable"))
	connect(s.PgBouncerDSN(testenv.UserApp, testenv.Database, "disable"))
	tx, err := connect(s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full")).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()

	const secret = "Down-Server-Pass-93b1"
	dir := t.TempDir()
	cfgPath := testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), fmt.Appendf(nil, `
ca: {cert: %[1]s}
certificates: [{name: postgres, cert: %[6]s}]
sessions:
  postgres:
    - {name: db, dsn: %[2]q}
    - {name: gone, dsn: "host=127.0.0.1 port=%[4]d user=monitor password=%[5]s sslmode=require connect_timeout=2"}
  pgbouncer:
    - {name: pgbouncer, dsn: %[3]q, expect_server_tls: true}
`, s.Certs().CA, s.PostgresDSN(testenv.UserMonitor, "verify-full"), s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"),
		testenv.PortT(t), secret, s.Certs().PostgresCert), 0o600)
	var out bytes.Buffer
	code := Run(context.Background(), &out, Options{ConfigFile: cfgPath})
	text := out.String()
	if code != int(rules.Critical) {
		t.Errorf("exit %d, want 2", code)
	}
	var norm strings.Builder // one space between columns
	for _, l := range strings.Split(text, "\n") {
		norm.WriteString(strings.Join(strings.Fields(l), " ") + "\n")
	}
	for _, line := range []string{
		// PgBouncer's server connection is the other plaintext session of app.
		"pg_stat_ssl/db plaintext-sessions WARNING plaintext_sessions - 2 plaintext client sessions: app@magflow 2",
		"pg_stat_ssl/db tls-version OK - - no TLS older than 1.2",
		"pgbouncer/pgbouncer plaintext-sessions WARNING plaintext_sessions - 1 plaintext client connection: app@magflow 1",
		"pgbouncer/pgbouncer server-tls CRITICAL server_tls_expected - 1 server connection without TLS: app@magflow 1 (expect_server_tls)",
		`pg_stat_ssl/gone sessions UNKNOWN session_source_failed - postgres "gone": connect: failed to connect to`,
	} {
		if !strings.Contains(norm.String(), line) {
			t.Errorf("report lacks %q", line)
		}
	}
	if strings.Contains(text, secret) || strings.Contains(text, s.Password(testenv.UserMonitor)) {
		t.Errorf("report reveals a password")
	}
	if t.Failed() {
		t.Log(text)
	}
}
