package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// configFlag names the demo configuration for every pgtls_exporter
// command: they all run in the demo folder, which holds config.yml.
const configFlag = "--config.file=" + configName

// configName is the demo configuration's file name in the demo folder.
const configName = "config.yml"

// exporter runs pgtls_exporter in the demo folder. A command's header is
// built from the argv slice that runs, so what the demo shows is what runs.
type exporter struct {
	bin    string    // the binary, absolute: the commands run in dir
	dir    string    // the demo folder
	out    io.Writer // headers and the commands' output
	errOut io.Writer // the commands' errors and logs
}

// cmd is the process for argv (the arguments after the binary), in the
// demo folder.
func (e exporter) cmd(ctx context.Context, argv []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.bin, argv...)
	cmd.Dir = e.dir
	return cmd
}

// run prints a header with title and the command line of argv, then runs
// exactly argv, showing its output. The error of a non-zero exit wraps
// the *exec.ExitError.
func (e exporter) run(title string, argv []string) error {
	fmt.Fprint(e.out, header(title, argv))
	// Not tied to the demo's context: Ctrl-C reaches the command through the
	// terminal, and a renew must not be killed halfway through.
	cmd := e.cmd(context.Background(), argv)
	cmd.Stdout, cmd.Stderr = e.out, e.errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.TrimPrefix(commandLine(argv), "$ "), err)
	}
	return nil
}

// header introduces a command of the demo: a blank line, the title, and
// the command line as typed in a shell in the demo folder.
func header(title string, argv []string) string {
	return fmt.Sprintf("\n== %s\n   %s\n", title, commandLine(argv))
}

// commandLine is argv as a shell command line in the demo folder, with the
// binary as pgtls_exporter.
func commandLine(argv []string) string {
	words := make([]string, 0, len(argv)+1)
	words = append(words, "$ pgtls_exporter")
	for _, a := range argv {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

// shellQuote returns s as one shell word: unchanged when it holds only
// characters a shell leaves alone, single-quoted otherwise.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
