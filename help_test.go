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
		{[]string{"help", "webhook"}, append(slices.Clone(common), "--[no-]web.systemd-socket",
			"--web.listen-address=:9872 ...", `--web.config.file=""`, "--[no-]webhook.allow-unauthenticated")},
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
			if h, ok := help["--no-reload"]; ok && !strings.HasPrefix(h, "Install the files only: no reload, no verification") {
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

// TestHelpOnStdout: help and the version go to stdout, so that
// `pgtls_exporter --help | less` works; nothing goes to stderr.
func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"help", "serve"}, {"check", "--help"}, {"--version"}, {"version"}} {
		code, stdout, stderr := runStreams(t, args...)
		want := "usage: pgtls_exporter "
		if strings.Contains(args[0], "version") {
			want = "pgtls_exporter, version "
		}
		if code != 0 || !strings.HasPrefix(stdout, want) || stderr != "" {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
	}
}

func TestUnknownFlagHint(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--config"}, "pgtls_exporter: unknown long flag '--config'; did you mean --config.file?\n"},
		{[]string{"--config", "x.yml"}, "pgtls_exporter: unknown long flag '--config'; did you mean --config.file?\n"},
		{[]string{"check", "--config=x.yml"}, "pgtls_exporter: unknown long flag '--config'; did you mean --config.file?\n"},
		{[]string{"--config-file=x.yml"}, "pgtls_exporter: unknown long flag '--config-file'; did you mean --config.file?\n"},
		{[]string{"--web.listen-adress=:1"}, "pgtls_exporter: unknown long flag '--web.listen-adress'; did you mean --web.listen-address?\n"},
		{[]string{"renew", "--dryrun"}, "pgtls_exporter: unknown long flag '--dryrun'; did you mean --dry-run?\n"},
		{[]string{"check", "--config.check"}, "pgtls_exporter: unknown long flag '--config.check'; it is a flag of serve\n"},
		{[]string{"check", "--web.listen-address=:1"}, "pgtls_exporter: unknown long flag '--web.listen-address'; it is a flag of serve and webhook\n"},
		{[]string{"version", "--colour"}, "pgtls_exporter: unknown long flag '--colour'\n"},
	}
	for _, tc := range tests {
		code, stdout, stderr := runStreams(t, tc.args...)
		if code != 3 || stdout != "" || stderr != tc.want {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s\nwant:\n%s", tc.args, code, stdout, stderr, tc.want)
		}
	}
}
