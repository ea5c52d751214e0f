package dashboards

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/rules"
)

// TestProblemAlertsAgree walks the rules table: for every code, the series
// the exporter exports for it (pgtls_problem with the code's severity)
// makes exactly its alert fire, after the rule's for-duration and not
// before, with that severity, and no other problem alert fires.
func TestProblemAlertsAgree(t *testing.T) {
	bin := promtool(t)
	abs, err := filepath.Abs("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rule_files:\n- %s\nevaluation_interval: 1m\ntests:\n", abs)
	table := rules.Table()
	for _, r := range table {
		sev := r.Severity.Label()
		fmt.Fprintf(&b, `- interval: 1m
  input_series:
  - series: pgtls_problem{instance="e:9871",job="pgtls",source="%s",subject="s1",code="%s",severity="%s"}
    values: 1x40
  alert_rule_test:
`, r.Sources[0], r.Code, sev)
		if r.For != "0m" {
			fmt.Fprintf(&b, "  - eval_time: 1m\n    alertname: %s\n", r.Alert())
		}
		fmt.Fprintf(&b, `  - eval_time: 30m
    alertname: %s
    exp_alerts:
    - exp_labels:
        severity: %s
        code: %s
        source: %s
        subject: s1
        instance: e:9871
        job: pgtls
      exp_annotations:
        summary: %q
        description: %q
        runbook_url: %s
`, r.Alert(), sev, r.Code, r.Sources[0],
			string(r.Code)+": "+strings.TrimSuffix(r.Summary, "."),
			fmt.Sprintf("%s s1 (%s) on e:9871: %s %s", r.Code, r.Sources[0], r.Summary, r.Action),
			RunbookBase+strings.ToLower(r.Alert()))
		for _, other := range table {
			if other.Code != r.Code {
				fmt.Fprintf(&b, "  - eval_time: 30m\n    alertname: %s\n", other.Alert())
			}
		}
	}
	path := filepath.Join(t.TempDir(), "agreement_test.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "test", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	if len(table) < 40 {
		t.Fatalf("only %d codes", len(table))
	}
}
