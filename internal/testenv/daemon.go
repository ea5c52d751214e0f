package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Daemon is a server binary a test runs on a loopback port (Prometheus,
// Alertmanager), with its log.
type Daemon struct {
	// Base is its URL: http://127.0.0.1:PORT.
	Base string
	mu   sync.Mutex
	logs strings.Builder
}

// Write collects the daemon's output.
func (d *Daemon) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.logs.Write(p)
}

// StartDaemon runs bin (from PATH; pkg names the Debian package that has
// it) with args and listenFlag=127.0.0.1:PORT on a free port, and waits
// until its /-/ready answers 200. A missing binary skips the test, or
// fails it under CI=true. The daemon is killed when the test ends, and
// its log shown if the test failed.
func StartDaemon(tb testing.TB, bin, pkg, listenFlag string, args ...string) *Daemon {
	tb.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		SkipOrFatal(tb, "%s not installed (Debian package %s)", bin, pkg)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", PortT(tb))
	d := &Daemon{Base: "http://" + addr}
	cmd := exec.Command(path, append(args, listenFlag+"="+addr)...)
	cmd.Stdout, cmd.Stderr = d, d
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if tb.Failed() {
			d.mu.Lock()
			tb.Logf("%s log:\n%s", bin, d.logs.String())
			d.mu.Unlock()
		}
	})
	deadline := time.Now().Add(time.Minute)
	for !d.ready() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s on %s not ready after a minute", bin, addr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return d
}

// ready reports whether /-/ready answers 200.
func (d *Daemon) ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.Base+"/-/ready", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
