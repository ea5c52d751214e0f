package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// unitBinary is where the units expect the binary (the README installs it
// there).
const unitBinary = "/usr/local/bin/pgtls_exporter"

// unitFiles are the systemd units the README installs.
var unitFiles = []string{"pgtls_exporter.service", "pgtls_exporter-renew.service", "pgtls_exporter-renew.timer", "pgtls_exporter-webhook.service"}

// unitSection matches a section header, unitSetting a Key=Value line.
var (
	unitSection = regexp.MustCompile(`^\[[A-Za-z]+\]$`)
	unitSetting = regexp.MustCompile(`^[A-Za-z]+=\S`)
)

// readUnit parses a unit file into section -> key -> values, failing on a
// line that is neither a comment, a section header nor a setting.
func readUnit(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unit := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case unitSection.MatchString(line):
			section = strings.Trim(line, "[]")
			unit[section] = map[string][]string{}
		case section != "" && unitSetting.MatchString(line):
			key, value, _ := strings.Cut(line, "=")
			unit[section][key] = append(unit[section][key], value)
		default:
			t.Errorf("%s:%d: not a section, setting or comment: %q", path, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return unit
}

// TestSystemdUnitsVerify: systemd itself accepts the units (with the binary
// where a test can run it) and has nothing to say about them.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is not installed (Debian package systemd; make test installs it)")
		}
		t.Skip("systemd-analyze is not installed; TestSystemdUnitsParse checks the units")
	}
	dir := t.TempDir()
	var args []string
	for _, name := range unitFiles {
		data, err := os.ReadFile(filepath.Join("deploy/systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		local := strings.ReplaceAll(string(data), unitBinary, exporterBinary)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(local), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "./"+name)
	}
	cmd := exec.Command(analyze, append([]string{"verify"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdUnitsParse: each unit has the sections systemd needs, and each
// ExecStart is a command line the binary accepts.
func TestSystemdUnitsParse(t *testing.T) {
	wantSections := map[string][]string{
		"pgtls_exporter.service":         {"Unit", "Service", "Install"},
		"pgtls_exporter-renew.service":   {"Unit", "Service"},
		"pgtls_exporter-renew.timer":     {"Unit", "Timer", "Install"},
		"pgtls_exporter-webhook.service": {"Unit", "Service", "Install"},
	}
	for _, name := range unitFiles {
		unit := readUnit(t, filepath.Join("deploy/systemd", name))
		for _, s := range wantSections[name] {
			if unit[s] == nil {
				t.Errorf("%s: no [%s] section", name, s)
			}
		}
		for _, exec := range unit["Service"]["ExecStart"] {
			args := strings.Fields(exec)
			if args[0] != unitBinary {
				t.Errorf("%s: ExecStart runs %s, want %s", name, args[0], unitBinary)
				continue
			}
			if code, out := runBinary(t, append(args[1:], "--help")...); code != 0 {
				t.Errorf("%s: the binary refuses %q: exit %d\n%s", name, exec, code, out)
			}
		}
	}
	if got := readUnit(t, "deploy/systemd/pgtls_exporter-renew.timer")["Timer"]["OnCalendar"]; len(got) != 1 || got[0] != "daily" {
		t.Errorf("renew timer: OnCalendar %q, want daily", got)
	}
}
