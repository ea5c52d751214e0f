package main

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// helpRows returns the flag column and the first help line of each flag
// row that `help` printed, in order.
func helpRows(t *testing.T, out string) (flags []string, help map[string]string) {
	t.Helper()
	help = map[string]string{}
	// A row starts in column 2 (-h, --x) or 6 (--x); wrapped help is deeper.
	row := regexp.MustCompile(`^(?:  |      )(-\S.*?)(?:\s{2,}(.*))?$`)
	inFlags := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "Flags:":
			inFlags = true
		case line == "" || !strings.HasPrefix(line, " "):
			inFlags = false
		case inFlags:
			if m := row.FindStringSubmatch(strings.TrimRight(line, " ")); m != nil {
				flags = append(flags, m[1])
				help[m[1]] = m[2]
			}
		}
	}
	return flags, help
}

func TestHelpPerCommand(t *testing.T) {
	common := []string{"-h, --[no-]help", "--[no-]version", `--config.file="pgtls_exporter.yml"`, "--log.level=info", "--log.format=logfmt"}
	tests := []struct {
		args  []string
		flags []string
	}{
		{[]string{"help", "check"}, append(slices.Clone(common), "--warn-before=30d", "--crit-before=7d", "--output=text")},
		{[]string{"check", "--help"}, append(slices.Clone(common), "--warn-before=30d", "--crit-before=7d", "--output=text")},
		{[]string{"help", "renew"}, append(slices.Clone(common),
			"--[no-]init", "--[no-]dry-run", "--[no-]force", "--only=NAME ...", "--no-reload", "--[no-]wait",
			"--[no-]rotate-ca", "--until=STEP", "--[no-]finish")},
		{[]string{"help", "serve"}, append(slices.Clone(common), "--[no-]config.check", "--[no-]web.systemd-socket",
			"--web.listen-address=:9871 ...", `--web.config.file=""`, "--scrape.default-timeout=10s", "--scrape.timeout-offset=0.5s",
			"--[no-]web.enable-lifecycle", "--web.max-connections=0")},
		{[]string{"help", "version"}, common},
		{[]string{"--help"}, common},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, err := exec.Command(exporterBinary, tc.args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			flags, help := helpRows(t, string(out))
			if !slices.Equal(flags, tc.flags) {
				t.Fatalf("flags %q\nwant  %q\n%s", flags, tc.flags, out)
			}
			if h, ok := help["--output=text"]; ok && h != "Report format: text or json." {
				t.Errorf("--output help %q", h)
			}
			if h, ok := help["--no-reload"]; ok && h != "Install the files only: no reload, no verification" {
				t.Errorf("--no-reload help %q", h)
			}
		})
	}
}

func TestServeFlagsBelongToServe(t *testing.T) {
	for _, args := range [][]string{
		{"check", "--web.listen-address=:1"}, {"renew", "--scrape.default-timeout=1s"}, {"version", "--web.config.file=x"},
	} {
		out, err := exec.Command(exporterBinary, args...).CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 3 || !strings.Contains(string(out), "unknown long flag '"+strings.SplitN(args[1], "=", 2)[0]+"'") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
}
