package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// exporterSessions counts the exporter's own sessions on PostgreSQL.
func exporterSessions(ctx context.Context, s *testenv.Stack) (int, error) {
	c, err := pgx.Connect(ctx, s.SocketDSN(testenv.UserPostgres, testenv.Database))
	if err != nil {
		return 0, err
	}
	defer func() { _ = c.Close(context.Background()) }()
	var n int
	err = c.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1",
		sessions.AppNamePrefix+"%").Scan(&n)
	return n, err
}

func waitSessions(t *testing.T, s *testenv.Stack, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		n, err := exporterSessions(ctx, s)
		if err == nil && n == want {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("exporter sessions on PostgreSQL: %d (%v), want %d", n, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeSessions: a configuration with session sources (relative CA and
// password file paths) scrapes both servers; a reload closes the previous
// configuration's connections, and so does Close.
func TestServeSessions(t *testing.T) {
	t.Parallel()
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true})
	dir := t.TempDir()
	ca, err := os.ReadFile(s.Certs().CA)
	if err != nil {
		t.Fatal(err)
	}
	testcerts.WriteFile(t, filepath.Join(dir, "certs", "ca.crt"), ca, 0o644)
	testcerts.WriteFile(t, filepath.Join(dir, "certs", "ca-copy.crt"), ca, 0o644)
	testcerts.WriteFile(t, filepath.Join(dir, "secrets", "monitor"), []byte(s.Password(testenv.UserMonitor)+"\n"), 0o600)
	testcerts.WriteFile(t, filepath.Join(dir, "secrets", "stats"), []byte(s.Password(testenv.UserStats)+"\n"), 0o600)
	cfgPath := testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), fmt.Appendf(nil, `
ca: {cert: certs/ca.crt}
certificates: [{name: ca-only, cert: certs/ca-copy.crt}]
sessions:
  postgres:
    - name: db
      dsn: host=127.0.0.1 port=%d dbname=magflow user=monitor sslmode=verify-full sslrootcert=certs/ca.crt
      password_file: secrets/monitor
  pgbouncer:
    - name: pgbouncer
      dsn: host=127.0.0.1 port=%d dbname=pgbouncer user=stats sslmode=verify-full sslrootcert=certs/ca.crt
      password_file: secrets/stats
      expect_server_tls: true
`, s.PostgresPort(), s.PgBouncerPort()), 0o644)
	var logs bytes.Buffer
	srv := newReadyServer(t, Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		DefaultScrapeTimeout: 10 * time.Second, EnableLifecycle: true})
	h := srv.Handler()
	waitSessions(t, s, 0) // sources connect on the first scrape
	_, body := get(t, h, http.MethodGet, "/metrics")
	for _, want := range []string{
		`pgtls_scrape_collector_success{collector="pg_stat_ssl/db"} 1`,
		`pgtls_scrape_collector_success{collector="pgbouncer/pgbouncer"} 1`,
		`pgtls_pg_ssl_settings_info{server="db",server_version="`,
		`pgtls_pgbouncer_version_info{server="pgbouncer",version="1.18.0"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q:\n%s", want, body)
		}
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) != 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
	waitSessions(t, s, 1)

	if code, body := get(t, h, http.MethodPost, "/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	get(t, h, http.MethodGet, "/metrics")
	waitSessions(t, s, 1) // the new pool's; the old one is closed
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	waitSessions(t, s, 0)
	if strings.Contains(logs.String(), s.Password(testenv.UserMonitor)) || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("unexpected log:\n%s", logs.String())
	}
}
