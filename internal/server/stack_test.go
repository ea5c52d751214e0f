package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// newStackServer starts a real TLS PostgreSQL + PgBouncer and an exporter
// server configured for them.
func newStackServer(t *testing.T, withTargets bool, extra string) (*Server, *testenv.Stack) {
	t.Helper()
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	s := testenv.StartT(t, testenv.Options{Certs: tc.Files, WithPgBouncer: true})
	f := tc.Files
	targets := fmt.Sprintf(`targets:
  - {name: postgres, address: %q, server_name: db, certificate: postgres}
  - {name: pgbouncer, address: %q, server_name: pgbouncer, certificate: pgbouncer}
`, s.PostgresAddr(), s.PgBouncerAddr())
	if !withTargets {
		targets = ""
	}
	cfgPath := testcerts.WriteFile(t, filepath.Join(t.TempDir(), "config.yml"), []byte(fmt.Sprintf(`
ca: {cert: %s}
certificates:
  - {name: postgres, cert: %s, key: %s, expected_names: [db, 127.0.0.1]}
  - {name: pgbouncer, cert: %s, key: %s, expected_names: [pgbouncer]}
%s%s`, f.CA, f.PostgresCert, f.PostgresKey, f.PgBouncerCert, f.PgBouncerKey, targets, extra)), 0o644)
	srv := newReadyServer(t, Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		DefaultScrapeTimeout: 10 * time.Second, TimeoutOffset: 500 * time.Millisecond})
	return srv, s
}

func TestStackScrapePassesPromtool(t *testing.T) {
	srv, _ := newStackServer(t, true, "")
	code, body := get(t, srv.Handler(), http.MethodGet, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		`pgtls_probe_success{target="postgres"} 1`, `pgtls_probe_success{target="pgbouncer"} 1`,
		`pgtls_probe_verify_success{target="pgbouncer"} 1`,
		`pgtls_probe_cert_matches_file{name="postgres",target="postgres"} 1`,
		`pgtls_probe_tls_version_info{target="postgres",version="TLSv1.3"} 1`,
		`pgtls_scrape_collector_success{collector="probes"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("scrape lacks %q\n%s", want, body)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		testenv.SkipOrFatal(t, "promtool not installed (Debian package prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestProbeEndpoint(t *testing.T) {
	srv, s := newStackServer(t, true, "")
	h := srv.Handler()
	code, body := get(t, h, http.MethodGet, "/probe?target=pgbouncer")
	if code != 200 || !strings.Contains(body, `pgtls_probe_success{target="pgbouncer"} 1`) ||
		!strings.Contains(body, `pgtls_probe_cert_matches_file{name="pgbouncer",target="pgbouncer"} 1`) {
		t.Fatalf("configured target: %d\n%s", code, body)
	}
	// A fresh registry per request: nothing but this probe's series.
	if strings.Contains(body, "pgtls_file_read_success") || strings.Contains(body, `target="postgres"`) {
		t.Fatalf("probe response carries other series:\n%s", body)
	}
	// By address of a configured target.
	if code, body := get(t, h, http.MethodGet, "/probe?target="+s.PostgresAddr()); code != 200 ||
		!strings.Contains(body, fmt.Sprintf(`pgtls_probe_success{target=%q} 1`, s.PostgresAddr())) {
		t.Fatalf("by address: %d\n%s", code, body)
	}
	if code, body := get(t, h, http.MethodGet, "/probe?target=127.0.0.1:1"); code != http.StatusForbidden ||
		!strings.Contains(body, `target "127.0.0.1:1" is not configured (set probe.allow_unlisted_targets to probe any host:port)`) {
		t.Fatalf("unlisted: %d %s", code, body)
	}
	if code, _ := get(t, h, http.MethodGet, "/probe"); code != http.StatusBadRequest {
		t.Fatalf("no target: %d", code)
	}
	if code, body := get(t, h, http.MethodGet, "/probe?target=pgbouncer&module=http"); code != http.StatusBadRequest ||
		!strings.Contains(body, `unknown module "http"; modules are [postgres direct]`) {
		t.Fatalf("bad module: %d %s", code, body)
	}
}

func TestProbeEndpointUnlistedWhenAllowed(t *testing.T) {
	srv, s := newStackServer(t, false, "probe: {allow_unlisted_targets: true, timeout: 2s}\n")
	h := srv.Handler()
	// An unlisted address of a live server: the handshake works, verify-full
	// uses the host part as the name (127.0.0.1 is in the SANs).
	addr := s.PostgresAddr()
	code, body := get(t, h, http.MethodGet, "/probe?module=postgres&target="+addr)
	if code != 200 || !strings.Contains(body, fmt.Sprintf(`pgtls_probe_success{target=%q} 1`, addr)) ||
		!strings.Contains(body, fmt.Sprintf(`pgtls_probe_verify_success{target=%q} 1`, addr)) {
		t.Fatalf("unlisted live: %d\n%s", code, body)
	}
	// A closed port is a failed probe, not a failed request.
	code, body = get(t, h, http.MethodGet, "/probe?target=127.0.0.1:1")
	if code != 200 || !strings.Contains(body, `pgtls_probe_success{target="127.0.0.1:1"} 0`) {
		t.Fatalf("dead: %d\n%s", code, body)
	}
	if code, _ := get(t, h, http.MethodGet, "/probe?target=not-an-address"); code != http.StatusBadRequest {
		t.Fatalf("malformed: %d", code)
	}
}
