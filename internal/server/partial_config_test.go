package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/check"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// TestPartialConfigurationsOnRealStack: a configuration with only targets,
// and one with only sessions, are served and checked on a real PostgreSQL
// and PgBouncer.
func TestPartialConfigurationsOnRealStack(t *testing.T) {
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	s := testenv.StartT(t, testenv.Options{Certs: tc.Files, WithPgBouncer: true})
	dir := t.TempDir()
	testcerts.WriteFile(t, filepath.Join(dir, "monitor.pw"), []byte(s.Password(testenv.UserMonitor)+"\n"), 0o600)
	cases := []struct {
		name, yaml string
		metrics    []string
		rows       []string
	}{
		{"targets only", fmt.Sprintf(`
ca: {cert: %s}
targets:
  - {name: postgres, address: %q, server_name: db}
  - {name: pgbouncer, address: %q, server_name: pgbouncer}
`, tc.Files.CA, s.PostgresAddr(), s.PgBouncerAddr()),
			[]string{`pgtls_probe_success{target="postgres"} 1`, `pgtls_probe_verify_success{target="pgbouncer"} 1`,
				`pgtls_scrape_collector_success{collector="files"} 1`},
			[]string{"postgres served-verify OK - " + s.PostgresAddr() + " verify-full passed for db (as libpq decides it, at OpenSSL security level 2)"}},
		{"sessions only", fmt.Sprintf(`
sessions:
  postgres:
    - {name: db, dsn: "host=127.0.0.1 port=%d dbname=magflow user=monitor sslmode=verify-full sslrootcert=%s", password_file: monitor.pw}
`, s.PostgresPort(), tc.Files.CA),
			[]string{`pgtls_scrape_collector_success{collector="pg_stat_ssl/db"} 1`, `pgtls_pg_ssl_settings_info{server="db",`},
			[]string{"pg_stat_ssl/db plaintext-sessions OK - - no plaintext client sessions"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			cfgPath := testcerts.WriteFile(t, filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yml"), []byte(tt.yaml), 0o644)
			srv := newReadyServer(t, Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				DefaultScrapeTimeout: 10 * time.Second, TimeoutOffset: 500 * time.Millisecond})
			t.Cleanup(func() { _ = srv.Close() })
			code, body := get(t, srv.Handler(), http.MethodGet, "/metrics")
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			for _, m := range tt.metrics {
				if !strings.Contains(body, m) {
					t.Errorf("scrape lacks %q", m)
				}
			}
			if strings.Contains(body, "pgtls_problem{") {
				t.Errorf("a healthy stack has problems:\n%s", body)
			}
			var out bytes.Buffer
			exit := check.Run(context.Background(), &out, check.Options{ConfigFile: cfgPath})
			var norm strings.Builder
			for _, l := range strings.Split(out.String(), "\n") {
				norm.WriteString(strings.Join(strings.Fields(l), " ") + "\n")
			}
			if exit != 0 || !strings.HasPrefix(out.String(), "PGTLS OK - 0 critical, 0 warning, 0 unknown") {
				t.Errorf("check exit %d\n%s", exit, out.String())
			}
			for _, r := range tt.rows {
				if !strings.Contains(norm.String(), r) {
					t.Errorf("check lacks %q\n%s", r, out.String())
				}
			}
		})
	}
}
