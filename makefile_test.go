package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDemoRecipeExecsTheDemo: make demo runs a built demo binary in place
// of the recipe's shell (no `go run` in between), so that a SIGTERM make
// passes on, or a terminal's Ctrl-C, reaches the demo, which stops what it
// started.
func TestDemoRecipeExecsTheDemo(t *testing.T) {
	// --no-print-directory: run from make test, this make is a sub-make
	// and would print "Entering directory" lines.
	out, err := exec.Command("make", "-n", "--no-print-directory", "demo", "DEMO_FLAGS=--no-wait").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n demo: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{
		"go build -o bin/pgtls-demo ./internal/demo",
		"exec bin/pgtls-demo --bin bin/pgtls_exporter --dir demo-run --no-wait",
	}
	if len(lines) < 2 || lines[len(lines)-2] != want[0] || lines[len(lines)-1] != want[1] {
		t.Fatalf("make -n demo ends with\n%s\nwant\n%s", strings.Join(lines[max(0, len(lines)-2):], "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(string(out), "go run") {
		t.Fatalf("make demo uses go run, which does not pass signals on:\n%s", out)
	}
}
