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

// codeTableRow is the README's row for a rule: code, severity, sources,
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

// TestREADMECodeTable: the README's table of problem codes is the rules
// table, row for row, so the documented severity, alert and meaning are
// the ones check, the metrics and the alerts use.
func TestREADMECodeTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
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
		t.Fatalf("README's code table differs from the rules table; it should read:\n%s", strings.Join(want, "\n"))
	}
}

// codeRow matches a row of the code table: a snake_case code, then a severity.
var codeRow = regexp.MustCompile("^\\| `[a-z0-9_]+` \\| (warning|critical|unknown) \\|")

// TestREADMEMetricTableHasProblemMetrics: the metric table documents the
// series that carry the verdicts and reasons.
func TestREADMEMetricTableHasProblemMetrics(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"| `pgtls_problem` | source, subject, code, severity |",
		"| `pgtls_probe_failure_info` | target, phase, code |"} {
		if !strings.Contains(string(readme), row) {
			t.Errorf("README's metric table lacks %q", row)
		}
	}
}
