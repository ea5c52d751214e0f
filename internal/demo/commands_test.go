package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeExporter writes a stand-in for the pgtls_exporter binary that
// prints the folder it runs in and each argument it gets, then exits with
// code.
func fakeExporter(t *testing.T, code string) exporter {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pgtls_exporter")
	script := "#!/bin/sh\necho \"in $(pwd -P)\"\nfor a in \"$@\"; do echo \"<$a>\"; done\nexit " + code + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return exporter{bin: bin, dir: dir}
}

func TestHeader(t *testing.T) {
	got := header("A new CA", []string{"renew", configFlag, "--init", "--no-reload", "--only", "pgbouncer", "--only", "postgres"})
	want := "\n== A new CA\n   $ pgtls_exporter renew --config.file=config.yml --init --no-reload --only pgbouncer --only postgres\n"
	if got != want {
		t.Fatalf("header:\n%q\nwant\n%q", got, want)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"--only":                              "--only",
		"--web.listen-address=127.0.0.1:9871": "--web.listen-address=127.0.0.1:9871",
		"":                                    "''",
		"a b":                                 "'a b'",
		"it's":                                `'it'\''s'`,
		"$HOME":                               "'$HOME'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestRunShowsWhatRuns: the header's command line, typed into a shell in
// the demo folder, runs the binary with exactly the arguments run gave it,
// in that folder.
func TestRunShowsWhatRuns(t *testing.T) {
	e := fakeExporter(t, "0")
	var out bytes.Buffer
	e.out, e.errOut = &out, &out
	argv := []string{"renew", configFlag, "--only", "pgbouncer", "a b", "it's", "$HOME"}
	if err := e.run("A title", argv); err != nil {
		t.Fatal(err)
	}
	h := header("A title", argv)
	ran, ok := strings.CutPrefix(out.String(), h)
	if !ok {
		t.Fatalf("output does not start with the header %q:\n%s", h, out.String())
	}
	want := "in " + e.dir + "\n<renew>\n<--config.file=config.yml>\n<--only>\n<pgbouncer>\n<a b>\n<it's>\n<$HOME>\n"
	if ran != want {
		t.Fatalf("the binary got\n%s\nwant\n%s", ran, want)
	}

	line := strings.TrimPrefix(strings.Split(h, "\n")[2], "   $ ")
	sh := exec.Command("sh", "-c", "pgtls_exporter() { '"+e.bin+"' \"$@\"; }\n"+line)
	sh.Dir = e.dir
	typed, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", line, err, typed)
	}
	if string(typed) != ran {
		t.Fatalf("the shown command line %s runs\n%s\nwhile run ran\n%s", line, typed, ran)
	}
}

func TestRunExitCode(t *testing.T) {
	e := fakeExporter(t, "2")
	var out bytes.Buffer
	e.out, e.errOut = &out, &out
	err := e.run("The check report", []string{"check", configFlag})
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 {
		t.Fatalf("err %v, want exit code 2", err)
	}
	if want := "pgtls_exporter check --config.file=config.yml: exit status 2"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}
