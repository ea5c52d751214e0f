package webhook

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sample is a sample line of the text format: the name and the labels.
var sample = regexp.MustCompile(`^(pgtls_webhook_[a-z_]+)(?:\{(.*)\})? `)

// TestMetricsDocumented: every pgtls_webhook_ series the webhook serves
// has its row, with its labels, in docs/metrics.md's table, and the table
// has no webhook row it does not serve.
func TestMetricsDocumented(t *testing.T) {
	s := newTestServer(t, "")
	post(t, http.MethodPost, s.url+"/alerts", notification(t, "g", alert("f", "expired", "files", "postgres")), "", "")
	s.renew.waitRuns(t, 1)
	waitSeries(t, s.url, "", "", `pgtls_webhook_renew_runs_total{result="ok"} 1`)
	served := map[string][]string{}
	for _, line := range scrape(t, s.url, "", "", "pgtls_webhook_") {
		m := sample.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unexpected line %q", line)
		}
		var labels []string
		for _, pair := range strings.Split(m[2], ",") {
			if name, _, ok := strings.Cut(pair, "="); ok {
				labels = append(labels, name)
			}
		}
		slices.Sort(labels)
		served[m[1]] = labels
	}
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string][]string{}
	row := regexp.MustCompile("^\\| `(pgtls_webhook_[a-z_]+)` \\| ([a-z_, ]*?) ?\\|")
	for _, line := range strings.Split(string(doc), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			var labels []string
			if m[2] = strings.TrimSpace(m[2]); m[2] != "" {
				labels = strings.Split(m[2], ", ")
			}
			slices.Sort(labels)
			documented[m[1]] = labels
		}
	}
	if len(served) != 4 {
		t.Fatalf("served %v, want 4 series", served)
	}
	for name, labels := range served {
		if doc, ok := documented[name]; !ok || !slices.Equal(doc, labels) {
			t.Errorf("%s{%s}: docs/metrics.md has %v (documented: %v)", name, strings.Join(labels, ","), doc, ok)
		}
	}
	for name := range documented {
		if _, ok := served[name]; !ok {
			t.Errorf("docs/metrics.md documents %s, which the webhook does not serve", name)
		}
	}
}
