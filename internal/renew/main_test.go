package renew

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv carries a childSpec to this test binary run as a renew process.
const childEnv = "PGTLS_RENEW_TEST_CHILD"

// childSpec is one renew run in a child process that kills itself with
// SIGKILL right after checkpoint KillAt (1-based; 0: never), or sends
// itself SIGTERM right after the first checkpoint whose name starts with
// TermAfter, as a person's Ctrl-C or a service manager's stop would.
type childSpec struct {
	Config    string
	Force     bool
	Init      bool
	NoReload  bool
	KillAt    int
	TermAfter string
	// RotateCA, Until and Finish run a CA rotation step.
	RotateCA bool
	Until    string
	Finish   bool
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(childMain(spec))
	}
	os.Exit(m.Run())
}

// childMain runs renew as the child process; each checkpoint is printed
// to stdout as "checkpoint N NAME".
func childMain(specJSON string) int {
	var spec childSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "child spec:", err)
		return 99
	}
	// As main does: SIGINT and SIGTERM end the context.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n := 0
	return Run(ctx, Options{
		ConfigFile: spec.Config, Force: spec.Force, Init: spec.Init, NoReload: spec.NoReload,
		RotateCA: spec.RotateCA, Until: spec.Until, Finish: spec.Finish,
		Out:    os.Stderr,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Checkpoint: func(step string) {
			n++
			fmt.Printf("checkpoint %d %s\n", n, step)
			if n == spec.KillAt {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal ends the process
			}
			if spec.TermAfter != "" && strings.HasPrefix(step, spec.TermAfter) && ctx.Err() == nil {
				_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
				<-ctx.Done() // delivered before the run goes on
			}
		},
	})
}

// childResult is how a child run ended.
type childResult struct {
	steps  []string
	killed bool
	code   int
	stderr string
}

// runChild runs renew in a child process.
func runChild(t *testing.T, spec childSpec) childResult {
	t.Helper()
	data, _ := json.Marshal(spec)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(data))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := childResult{stderr: stderr.String()}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if f := strings.SplitN(sc.Text(), " ", 3); len(f) == 3 && f[0] == "checkpoint" {
			res.steps = append(res.steps, f[2])
		}
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			res.killed = true
		} else {
			res.code = ee.ExitCode()
		}
	case err != nil:
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	return res
}
