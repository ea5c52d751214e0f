package collector

import (
	"context"
	"fmt"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// compareEventually retries CollectAndCompare for a while: backends of
// closed sessions leave pg_stat_activity a moment after their clients.
func compareEventually(t *testing.T, e *Exporter, want string, names ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := testutil.CollectAndCompare(e, strings.NewReader(want), names...)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSessionsOnRealStack: 4 TLS and 2 plaintext sessions straight to
// PostgreSQL, 2 TLS clients and 1 Unix-socket client of PgBouncer, one of
// them in a transaction. PgBouncer's one server connection is a TLS client
// backend of PostgreSQL too. Stopping PostgreSQL fails its source alone,
// once in the log; starting it again recovers it. No password is logged.
func TestSessionsOnRealStack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true, AllowPlaintext: true})
	testenv.OpenSessions(t, s.PostgresDSN(testenv.UserApp, "verify-full"), 4)
	testenv.OpenSessions(t, s.PostgresDSN(testenv.UserApp, "disable"), 2)
	pooled := testenv.OpenSessions(t, s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full"), 2)
	testenv.OpenSessions(t, s.PgBouncerSocketDSN(testenv.UserApp, testenv.Database), 1)
	tx, err := pooled[0].Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	pgVersion, err := s.PostgresVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	monitorPW := testcerts.WriteFile(t, t.TempDir()+"/monitor_password", []byte(s.Password(testenv.UserMonitor)+"\n"), 0o600)
	pgDSN := strings.Replace(s.PostgresDSN(testenv.UserMonitor, "verify-full"), "password="+s.Password(testenv.UserMonitor)+" ", "", 1)
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	pg := NewPostgresSessions(sessions.NewPostgres(sessions.Options{Name: "db", DSN: config.DSN(pgDSN), PasswordFile: monitorPW}), rules.DefaultPolicy())
	pgb := NewPgBouncerSessions(sessions.NewPgBouncer(sessions.Options{Name: "pgbouncer",
		DSN: config.DSN(s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"))}), false, rules.DefaultPolicy())
	exporter := NewExporter(logger, pg, pgb)
	t.Cleanup(func() { _ = exporter.Close() })

	const tls13 = `cipher="TLS_AES_256_GCM_SHA384",`
	want := fmt.Sprintf(`# HELP pgtls_pg_ssl_settings_info TLS settings and version of a PostgreSQL server.
# TYPE pgtls_pg_ssl_settings_info gauge
pgtls_pg_ssl_settings_info{server="db",server_version=%q,ssl="on",ssl_min_protocol_version="TLSv1.2"} 1
# HELP pgtls_pg_stat_ssl_connections Client backends of a PostgreSQL server by TLS use (ssl: true, false or socket).
# TYPE pgtls_pg_stat_ssl_connections gauge
pgtls_pg_stat_ssl_connections{cipher="",client_cert="false",server="db",ssl="false",version=""} 2
pgtls_pg_stat_ssl_connections{`+tls13+`client_cert="false",server="db",ssl="true",version="TLSv1.3"} 5
# HELP pgtls_pgbouncer_connections PgBouncer client and server connections by TLS use (tls: true, false or socket).
# TYPE pgtls_pgbouncer_connections gauge
pgtls_pgbouncer_connections{cipher="",server="pgbouncer",side="client",tls="socket",version=""} 1
pgtls_pgbouncer_connections{`+tls13+`server="pgbouncer",side="client",tls="true",version="TLSv1.3"} 2
pgtls_pgbouncer_connections{`+tls13+`server="pgbouncer",side="server",tls="true",version="TLSv1.3"} 1
# HELP pgtls_pgbouncer_version_info Version of a PgBouncer.
# TYPE pgtls_pgbouncer_version_info gauge
pgtls_pgbouncer_version_info{server="pgbouncer",version="1.18.0"} 1
# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="pg_stat_ssl/db"} 1
pgtls_scrape_collector_success{collector="pgbouncer/pgbouncer"} 1
`, pgVersion)
	compareEventually(t, exporter, want, sessionMetricNames...)

	if err := s.StopPostgres(ctx); err != nil {
		t.Fatal(err)
	}
	success := func(pgOK int) string {
		return fmt.Sprintf(`# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="pg_stat_ssl/db"} %d
pgtls_scrape_collector_success{collector="pgbouncer/pgbouncer"} 1
`, pgOK)
	}
	for range 3 {
		if err := testutil.CollectAndCompare(exporter, strings.NewReader(success(0)), "pgtls_scrape_collector_success"); err != nil {
			t.Fatalf("PostgreSQL down: %v", err)
		}
	}
	if err := s.StartPostgres(ctx); err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(exporter, strings.NewReader(success(1)), "pgtls_scrape_collector_success"); err != nil {
		t.Fatalf("PostgreSQL back: %v", err)
	}
	out := logs.String()
	if n := strings.Count(out, `msg="collector failed" collector=pg_stat_ssl/db err="postgres \"db\": `); n != 1 {
		t.Errorf("PostgreSQL's failure logged %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, `msg="collector recovered" collector=pg_stat_ssl/db`) {
		t.Errorf("recovery not logged:\n%s", out)
	}
	for _, u := range []string{testenv.UserMonitor, testenv.UserStats} {
		if strings.Contains(out, s.Password(u)) {
			t.Errorf("log reveals %s's password:\n%s", u, out)
		}
	}
}

// TestSessionsWrongPassword: the failing source is named in the log, the
// password is not, and the other source goes on.
func TestSessionsWrongPassword(t *testing.T) {
	t.Parallel()
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true})
	const wrong = "Not-The-Password-0d1e"
	pwFile := testcerts.WriteFile(t, t.TempDir()+"/stats_password", []byte(wrong+"\n"), 0o600)
	admin := strings.Replace(s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"), "password="+s.Password(testenv.UserStats)+" ", "", 1)
	var logs syncBuffer
	exporter := NewExporter(slog.New(slog.NewJSONHandler(&logs, nil)),
		NewPostgresSessions(sessions.NewPostgres(sessions.Options{Name: "db", DSN: config.DSN(s.PostgresDSN(testenv.UserMonitor, "verify-full"))}), rules.DefaultPolicy()),
		NewPgBouncerSessions(sessions.NewPgBouncer(sessions.Options{Name: "pgbouncer", DSN: config.DSN(admin), PasswordFile: pwFile}), false, rules.DefaultPolicy()),
		NewPgBouncerSessions(sessions.NewPgBouncer(sessions.Options{Name: "pgbouncer-dsn",
			DSN: config.DSN(admin + " password=" + wrong)}), false, rules.DefaultPolicy()))
	t.Cleanup(func() { _ = exporter.Close() })
	want := `# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="pg_stat_ssl/db"} 1
pgtls_scrape_collector_success{collector="pgbouncer/pgbouncer"} 0
pgtls_scrape_collector_success{collector="pgbouncer/pgbouncer-dsn"} 0
`
	if err := testutil.CollectAndCompare(exporter, strings.NewReader(want), "pgtls_scrape_collector_success"); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, name := range []string{"pgbouncer", "pgbouncer-dsn"} {
		if !strings.Contains(out, `"collector":"pgbouncer/`+name+`","err":"pgbouncer \"`+name+`\": connect: `) {
			t.Errorf("log does not name %s:\n%s", name, out)
		}
	}
	if !strings.Contains(out, "SASL authentication failed") {
		t.Errorf("log lacks the cause:\n%s", out)
	}
	if strings.Contains(out, wrong) || strings.Contains(out, s.Password(testenv.UserStats)) {
		t.Errorf("log reveals a password:\n%s", out)
	}
}
