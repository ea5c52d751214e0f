package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/check"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sources"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// problemSeries matches a pgtls_problem sample of the text format.
var problemSeries = regexp.MustCompile(`^pgtls_problem\{code="([^"]+)",severity="([^"]+)",source="([^"]+)",subject="([^"]+)"\} 1$`)

// TestCheckAndMetricsAgree: on a fault set, the problems check reports
// (code, severity, source, subject) are exactly the pgtls_problem series
// the exporter serves.
func TestCheckAndMetricsAgree(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca := testcerts.CA(t, "Agreement CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	testcerts.WriteEntry(t, dir, "soon", ca, testcerts.Options{DNSNames: []string{"db"}, NotAfter: now.Add(5 * 24 * time.Hour)}, 0o600) // critical by default, a warning with crit_before 3d
	testcerts.WriteEntry(t, dir, "loose", ca, testcerts.Options{DNSNames: []string{"x"}}, 0o644)
	gone := testcerts.WriteEntry(t, dir, "gone", ca, testcerts.Options{}, 0o600)
	if err := os.Remove(gone.Cert); err != nil {
		t.Fatal(err)
	}
	cfgPath := testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), []byte(`ca: {cert: ca.crt}
thresholds: {warn_before: 14d, crit_before: 3d}
certificates:
  - {name: soon, cert: soon.crt, key: soon.key, expected_names: [db]}
  - {name: loose, cert: loose.crt, key: loose.key, expected_names: [db], key_owner: postgres}
  - {name: gone, cert: gone.crt, key: gone.key, expected_names: [db]}
`), 0o644)
	srv := newReadyServer(t, Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DefaultScrapeTimeout: 10 * time.Second})
	t.Cleanup(func() { _ = srv.Close() })
	_, body := get(t, srv.Handler(), http.MethodGet, "/metrics")
	var exported []string
	for _, line := range strings.Split(body, "\n") {
		if m := problemSeries.FindStringSubmatch(line); m != nil {
			exported = append(exported, strings.Join([]string{m[3], m[4], m[1], m[2]}, " "))
		}
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	set := sources.New(cfg, sources.Options{})
	defer set.Close()
	var checked []string
	for _, f := range check.Evaluate(context.Background(), set, time.Now()).Findings {
		if f.Problem() {
			line := strings.Join([]string{string(f.Source), f.Entry, string(f.Code), f.Status.Label()}, " ")
			if !slices.Contains(checked, line) {
				checked = append(checked, line)
			}
		}
	}
	slices.Sort(exported)
	slices.Sort(checked)
	want := []string{
		"files gone file_missing critical", "files gone not_checked unknown",
		"files loose key_mode_refused critical", "files loose san_missing critical",
		"files soon expires_soon warning",
	}
	if !slices.Equal(checked, want) || !slices.Equal(exported, checked) {
		t.Fatalf("check:\n%s\nexported:\n%s\nwant:\n%s", strings.Join(checked, "\n"), strings.Join(exported, "\n"), strings.Join(want, "\n"))
	}
}
