package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// severityLiteral is a severity written as a string; durationInDays a
// duration literal counted in days, as thresholds are.
var (
	severityLiteral = regexp.MustCompile(`"(critical|warning)"`)
	durationInDays  = regexp.MustCompile(`\d+\s*\*\s*(24\s*\*\s*time\.Hour|day)\b`)
)

// daysAllowed are the files that write day durations which are no policy:
// what they are instead.
var daysAllowed = map[string]string{
	"internal/issue/server.go":     "lifetimes of the certificates renew issues, not judgement thresholds",
	"internal/testcerts/":          "test certificates' lifetimes",
	"internal/demo/":               "the demo's deliberately faulty certificate",
	"internal/config/durations.go": "the unit days are written in",
}

// TestPolicyValuesLiveInRules: no severity is written as a string and no
// threshold as a duration literal outside internal/rules (its table and
// its defaults): a second copy of a policy value is a defect before it
// disagrees.
func TestPolicyValuesLiveInRules(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "bin" || d.Name() == "demo-run" || path == "internal/rules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := severityLiteral.FindString(line); m != "" {
				t.Errorf("%s:%d: severity %s written as a string: use rules.Critical/Warning", path, i+1, m)
			}
			if m := durationInDays.FindString(line); m != "" && !allowedDays(path) {
				t.Errorf("%s:%d: duration %q written outside internal/rules: a threshold belongs to rules.Policy and internal/rules/defaults", path, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func allowedDays(path string) bool {
	for prefix := range daysAllowed {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}
