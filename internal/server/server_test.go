package server

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// newTestServer builds a server (lifecycle API on) on a config with a
// healthy entry and a missing one; edit adjusts the options.
func newTestServer(t *testing.T, edit ...func(*Options)) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	ca := testcerts.CA(t, "Server CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	testcerts.WriteEntry(t, dir, "pg", ca, testcerts.Options{DNSNames: []string{"postgres"}}, 0o644)
	cfgPath := testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), []byte(`
ca: {cert: ca.crt}
certificates:
  - {name: pg, cert: pg.crt, key: pg.key, combined: pg-combined.pem, expected_names: [postgres, db]}
  - {name: gone, cert: missing.crt}
`), 0o644)
	opts := Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		DefaultScrapeTimeout: 5 * time.Second, TimeoutOffset: 500 * time.Millisecond, EnableLifecycle: true}
	for _, e := range edit {
		e(&opts)
	}
	return newReadyServer(t, opts), cfgPath
}

// newReadyServer is New, waiting until the certificate files have all
// been read, as Prometheus sees a server once /-/ready answers.
func newReadyServer(t testing.TB, opts Options) *Server {
	t.Helper()
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return srv
}

func get(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code, rec.Body.String()
}

func TestMetricsPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is required (Debian package prometheus)")
		}
		t.Skip("promtool not installed")
	}
	srv, _ := newTestServer(t)
	code, body := get(t, srv.Handler(), http.MethodGet, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		`pgtls_exporter_build_info{`, `pgtls_file_read_success{name="gone",path="missing.crt"} 0`,
		`pgtls_cert_san_match{expected="db",name="pg",path="pg.crt"} 0`, `pgtls_scrape_collector_success{collector="files"} 1`,
		`pgtls_config_last_reload_successful 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestReloadKeepsRunningConfigOnError(t *testing.T) {
	srv, cfgPath := newTestServer(t)
	h := srv.Handler()
	if code, _ := get(t, h, http.MethodGet, "/-/reload"); code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /-/reload: %d", code)
	}
	if err := os.WriteFile(cfgPath, []byte("ca: {cert: ca.crt}\ncertificates: [{name: x, cert: y, bogus: 1}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, h, http.MethodPost, "/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, `certificates[0]: unknown key "bogus" (line 2)`) {
		t.Fatalf("bad reload: %d %s", code, body)
	}
	_, metrics := get(t, h, http.MethodGet, "/metrics")
	if !strings.Contains(metrics, "pgtls_config_last_reload_successful 0") ||
		!strings.Contains(metrics, `pgtls_file_read_success{name="pg",path="pg.crt"} 1`) {
		t.Fatalf("old config not kept:\n%s", metrics)
	}
	if err := os.WriteFile(cfgPath, []byte("ca: {cert: ca.crt}\ncertificates: [{name: only, cert: pg.crt}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, h, http.MethodPost, "/-/reload"); code != http.StatusOK {
		t.Fatalf("good reload: %d %s", code, body)
	}
	_, metrics = get(t, h, http.MethodGet, "/metrics")
	if !strings.Contains(metrics, "pgtls_config_last_reload_successful 1") ||
		!strings.Contains(metrics, `pgtls_file_read_success{name="only",path="pg.crt"} 1`) ||
		strings.Contains(metrics, `name="pg"`) {
		t.Fatalf("new config not in force:\n%s", metrics)
	}
}

func TestHealthyAndLanding(t *testing.T) {
	srv, _ := newTestServer(t)
	h := srv.Handler()
	if code, body := get(t, h, http.MethodGet, "/-/healthy"); code != 200 || body != "Healthy\n" {
		t.Fatalf("healthy: %d %q", code, body)
	}
	if code, body := get(t, h, http.MethodGet, "/"); code != 200 || !strings.Contains(body, `href="/metrics"`) {
		t.Fatalf("landing: %d %s", code, body)
	}
}

// TestLandingLinksAnswer follows every link of the landing page: each one
// answers 200 (no pprof links, no probe link without a target).
func TestLandingLinksAnswer(t *testing.T) {
	for _, tc := range []struct {
		name, targets string
		links         []string
	}{
		{"no targets", "", []string{"/metrics"}},
		{"a target", "targets: [{name: db, address: '127.0.0.1:1', timeout: 1s}]\n", []string{"/metrics", "/probe?target=db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ca := testcerts.CA(t, "Landing CA")
			testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
			testcerts.WriteEntry(t, dir, "pg", ca, testcerts.Options{DNSNames: []string{"postgres"}}, 0o600)
			cfgPath := testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), []byte("ca: {cert: ca.crt}\ncertificates: [{name: pg, cert: pg.crt}]\n"+tc.targets), 0o644)
			srv := newReadyServer(t, Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				DefaultScrapeTimeout: 5 * time.Second, TimeoutOffset: 500 * time.Millisecond})
			h := srv.Handler()
			code, body := get(t, h, http.MethodGet, "/")
			if code != http.StatusOK {
				t.Fatalf("landing: %d", code)
			}
			var links []string
			for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(body, -1) {
				links = append(links, html.UnescapeString(m[1]))
			}
			if !slices.Equal(links, tc.links) {
				t.Fatalf("links %q, want %q", links, tc.links)
			}
			for _, l := range links {
				if code, body := get(t, h, http.MethodGet, l); code != http.StatusOK {
					t.Errorf("GET %s: %d %s", l, code, body)
				}
			}
		})
	}
}

// TestLandingFollowsReload: the landing page links to the first target of
// the configuration in force, not of the one the server started with.
func TestLandingFollowsReload(t *testing.T) {
	srv, cfgPath := newTestServer(t)
	h := srv.Handler()
	probeLinks := func() []string {
		t.Helper()
		code, body := get(t, h, http.MethodGet, "/")
		if code != http.StatusOK {
			t.Fatalf("landing: %d %s", code, body)
		}
		var links []string
		for _, m := range regexp.MustCompile(`href="(/probe[^"]*)"`).FindAllStringSubmatch(body, -1) {
			links = append(links, html.UnescapeString(m[1]))
		}
		return links
	}
	if links := probeLinks(); len(links) != 0 {
		t.Fatalf("probe links before any target: %q", links)
	}
	for _, name := range []string{"first", "second"} {
		cfg := "ca: {cert: ca.crt}\ncertificates: [{name: pg, cert: pg.crt}]\ntargets: [{name: " + name + ", address: '127.0.0.1:1'}]\n"
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := srv.Reload(); err != nil {
			t.Fatal(err)
		}
		if links, want := probeLinks(), []string{"/probe?target=" + name}; !slices.Equal(links, want) {
			t.Fatalf("after reloading with target %s: probe links %q, want %q", name, links, want)
		}
	}
}

func TestScrapeTimeoutHeader(t *testing.T) {
	srv, _ := newTestServer(t)
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if got := srv.scrapeTimeout(r); got != 5*time.Second {
		t.Errorf("default: %v", got)
	}
	r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "3")
	if got := srv.scrapeTimeout(r); got != 2500*time.Millisecond {
		t.Errorf("header 3s: %v", got)
	}
	r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "0.2")
	if got := srv.scrapeTimeout(r); got != 200*time.Millisecond {
		t.Errorf("header below offset: %v", got)
	}
}

func TestNewFailsOnBadConfig(t *testing.T) {
	_, err := New(Options{ConfigFile: filepath.Join(t.TempDir(), "nope.yml"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), "nope.yml") {
		t.Fatalf("err = %v", err)
	}
}

// TestReady: /-/ready answers 503 with the progress while the certificate
// files are being read at start-up, and 200 once they all are.
func TestReady(t *testing.T) {
	srv, _ := newTestServer(t)
	h := srv.Handler()
	deadline := time.Now().Add(time.Minute) // the warm-up of two entries; a hang fails here
	for {
		code, body := get(t, h, http.MethodGet, "/-/ready")
		if code == http.StatusOK {
			if body != "Ready\n" {
				t.Fatalf("ready body %q", body)
			}
			break
		}
		if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "Warming up: ") || time.Now().After(deadline) {
			t.Fatalf("not ready: %d %q", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.current().ready.Store(false) // as before the warm-up ends
	if code, body := get(t, h, http.MethodGet, "/-/ready"); code != http.StatusServiceUnavailable ||
		body != "Warming up: 2 of 2 certificate entries read\n" {
		t.Fatalf("warming: %d %q", code, body)
	}
}
