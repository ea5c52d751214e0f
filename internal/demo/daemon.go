package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// startDaemon runs Debian's bin (from package pkg) with args and
// --web.listen-address=listen, its output in dir/bin.log, and waits until
// its /-/ready answers. It returns a stop function.
func startDaemon(ctx context.Context, bin, pkg, dir, listen string, args ...string) (func(), error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%s not installed (Debian package %s): %w", bin, pkg, err)
	}
	logFile, err := os.Create(filepath.Join(dir, bin+".log"))
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", bin, err)
	}
	cmd := exec.CommandContext(ctx, path, append(args, "--web.listen-address="+listen)...)
	stop, err := startProcess(cmd, logFile, bin+" on "+listen+" (log: "+logFile.Name()+")",
		func() bool { return answers200(ctx, "http://"+listen+"/-/ready", "", "") })
	if err != nil {
		logFile.Close()
		return nil, err
	}
	return func() { stop(); logFile.Close() }, nil
}

// startProcess starts cmd with its output to out and waits, at most 30
// seconds, until ready holds. It returns a stop function: SIGTERM, then
// wait for the process to end.
func startProcess(cmd *exec.Cmd, out io.Writer, what string, ready func() bool) (func(), error) {
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	deadline := time.Now().Add(30 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("%s not ready after 30s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return stop, nil
}

// answers200 reports whether url answers 200 to a GET, with basic auth
// when user is not empty.
func answers200(ctx context.Context, url, user, password string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
