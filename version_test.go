package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionFromMakeBuild builds as `make build` (and the Dockerfile) do,
// with the build information given, and reads it back from `version`.
func TestVersionFromMakeBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "pgtls_exporter")
	out, err := exec.Command("make", "-s", "build", "BIN="+bin, "VERSION=v1.2.3", "REVISION=0123abcd", "BRANCH=release-1.2",
		"BUILD_DATE=20261127-01:35:13", "BUILD_USER=ci@builder").CombinedOutput()
	if err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	want := []string{
		"pgtls_exporter, version v1.2.3 (branch: release-1.2, revision: 0123abcd)",
		"  build user:       ci@builder",
		"  build date:       20261127-01:35:13",
	}
	if len(lines) < len(want) {
		t.Fatalf("version:\n%s", out)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], w)
		}
	}
}

// TestVersionWithoutLdflags: a plain `go build` never prints empty fields.
func TestVersionWithoutLdflags(t *testing.T) {
	out, err := exec.Command(exporterBinary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasSuffix(strings.TrimRight(line, " "), ":") || strings.Contains(line, "version  ") || strings.Contains(line, ": ,") {
			t.Errorf("empty field in %q", line)
		}
	}
}
