package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/rules"
)

// codeTableRow is the documented row for a rule: code, severity, sources,
// alert, renew and meaning, in the order of the rules table.
func codeTableRow(r rules.Rule) string {
	sources := make([]string, len(r.Sources))
	for i, s := range r.Sources {
		sources[i] = string(s)
	}
	renew := ""
	if r.Renew {
		renew = "yes"
	}
	return fmt.Sprintf("| `%s` | %s | %s | %s | %s | %s |", r.Code, r.Severity.Label(), strings.Join(sources, ", "),
		r.Alert(), renew, strings.ReplaceAll(r.Summary, "|", `\|`))
}

// TestDocumentedCodeTable: the table of problem codes in docs/findings.md is the rules
// table, row for row, so the documented severity, alert and meaning are
// the ones check, the metrics and the alerts use.
func TestDocumentedCodeTable(t *testing.T) {
	readme, err := os.ReadFile("docs/findings.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `") && strings.Count(line, "|") >= 7 && codeRow.MatchString(line) {
			got = append(got, line)
		}
	}
	var want []string
	for _, r := range rules.Table() {
		want = append(want, codeTableRow(r))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("docs/findings.md's code table differs from the rules table; it should read:\n%s", strings.Join(want, "\n"))
	}
}

// codeRow matches a row of the code table: a snake_case code, then a severity.
var codeRow = regexp.MustCompile("^\\| `[a-z0-9_]+` \\| (warning|critical|unknown) \\|")

// TestDocumentedMetricTableHasProblemMetrics: docs/metrics.md's table documents the
// series that carry the verdicts and reasons.
func TestDocumentedMetricTableHasProblemMetrics(t *testing.T) {
	readme, err := os.ReadFile("docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"| `pgtls_problem` | source, subject, code, severity |",
		"| `pgtls_probe_failure_info` | target, phase, code |"} {
		if !strings.Contains(string(readme), row) {
			t.Errorf("docs/metrics.md's metric table lacks %q", row)
		}
	}
}
