package dashboards

import (
	"strings"

	"bytes"
	"encoding/json"
	"gopkg.in/yaml.v3"
	"os"
	"os/exec"
	"testing"
)

// TestCommittedFilesAreGenerated: the dashboard, the alert rules and the
// runbook in the repository are what the typed dashboard and the rules
// table generate.
func TestCommittedFilesAreGenerated(t *testing.T) {
	dashboard, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := AlertsYAML()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"pgtls.json": dashboard, "alerts.yml": alerts, "RUNBOOK.md": Runbook()} {
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("dashboards/%s is stale: run go run ./dashboards/cmd/generate", name)
		}
	}
}

// TestDashboardStructure checks what Grafana needs to import and render the
// dashboard (Grafana itself cannot run here): unique panel ids, every query
// panel bound to the $datasource variable with at least one query, panels
// inside the 24-column grid and not overlapping, and the filter variables.
func TestDashboardStructure(t *testing.T) {
	raw, err := os.ReadFile("pgtls.json")
	if err != nil {
		t.Fatal(err)
	}
	var d Dashboard
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Fatalf("uid %q title %q schema %d", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]Variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v := vars["datasource"]; v.Type != "datasource" || v.Query != "prometheus" {
		t.Errorf("datasource variable: %+v", v)
	}
	for _, name := range []string{"instance", "name", "target"} {
		if v, ok := vars[name]; !ok || v.Type != "query" || v.Datasource == nil || v.Datasource.UID != "${datasource}" {
			t.Errorf("variable %s: %+v", name, v)
		}
	}
	ids := map[int]bool{}
	cells := map[[2]int]int{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("duplicate panel id %d", p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.X < 0 || g.W <= 0 || g.H <= 0 || g.X+g.W > 24 {
			t.Errorf("panel %q outside the grid: %+v", p.Title, g)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, taken := cells[[2]int{x, y}]; taken {
					t.Errorf("panel %q overlaps panel %d at %d,%d", p.Title, other, x, y)
				}
				cells[[2]int{x, y}] = p.ID
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 || p.Title == "" {
			t.Errorf("panel %d %q: datasource %+v, %d targets", p.ID, p.Title, p.Datasource, len(p.Targets))
		}
		for _, q := range p.Targets {
			if q.Expr == "" || q.RefID == "" || q.Datasource == nil {
				t.Errorf("panel %q has an incomplete query: %+v", p.Title, q)
			}
		}
	}
}

func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is required (Debian package prometheus)")
		}
		t.Skip("promtool not installed")
	}
	return path
}

func TestAlertRules(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("SUCCESS")) {
			t.Fatalf("promtool %v: %v\n%s", args, err, out)
		}
	}
}

// TestEveryAlertHasARunbook checks severities, annotations and that each
// runbook_url points at a section of RUNBOOK.md.
func TestEveryAlertHasARunbook(t *testing.T) {
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	raw, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatal(err)
	}
	runbook, err := os.ReadFile("RUNBOOK.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			// A problem alert takes its severity from the problem it fires on.
			s, static := r.Labels["severity"]
			if g.Name == "pgtls-problems" && static {
				t.Errorf("%s: a problem alert must carry the exported severity, not its own %q", r.Alert, s)
			}
			if g.Name != "pgtls-problems" && s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			for _, k := range []string{"summary", "description", "runbook_url"} {
				if r.Annotations[k] == "" {
					t.Errorf("%s: no %s", r.Alert, k)
				}
			}
			anchor := "RUNBOOK.md#" + strings.ToLower(r.Alert)
			if !strings.HasSuffix(r.Annotations["runbook_url"], anchor) {
				t.Errorf("%s: runbook_url %q", r.Alert, r.Annotations["runbook_url"])
			}
			if !bytes.Contains(runbook, []byte("## "+r.Alert+"\n")) {
				t.Errorf("%s has no section in RUNBOOK.md", r.Alert)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d alerts", n)
	}
}
