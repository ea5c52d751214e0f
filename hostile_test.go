package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// runBinary runs the exporter with a deadline that only a hang reaches and
// returns its exit code and output.
func runBinary(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out strings.Builder
	code := runWith(t, &out, &out, args...)
	return code, out.String()
}

// runStreams runs the exporter and returns its exit code, stdout and
// stderr apart.
func runStreams(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := runWith(t, &stdout, &stderr, args...)
	return code, stdout.String(), stderr.String()
}

// runWith runs the exporter with its output to stdout and stderr and
// returns its exit code; it fails the test when it runs two minutes.
func runWith(t *testing.T, stdout, stderr io.Writer, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exporterBinary, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v hangs", args)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0
}

// TestServeWithoutConfigCannotStart: at start-up nothing runs yet, so the
// exporter says it cannot start and why, and exits 1.
func TestServeWithoutConfigCannotStart(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yml")
	code, out := runBinary(t, "--config.file="+missing, "--web.listen-address=127.0.0.1:0")
	if code != 1 || !strings.Contains(out, `msg="cannot start: the configuration is not usable" file=`+missing) ||
		!strings.Contains(out, "no such file or directory") || strings.Contains(out, "keeping the running one") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestConfigCheckRefusesSpecialFiles: --config.check on a FIFO or a link to
// /dev/zero says so at once instead of blocking or reading without end.
func TestConfigCheckRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo, zero := filepath.Join(dir, "fifo.yml"), filepath.Join(dir, "zero.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo: "read config file: read " + fifo + ": is a named pipe (FIFO), not a regular file\n",
		zero: "read config file: read " + zero + ": is a character device, not a regular file\n",
	} {
		for _, args := range [][]string{{"--config.check"}, {"serve", "--config.check"}, {"check"}} {
			code, out := runBinary(t, append([]string{"--config.file=" + path}, args...)...)
			if code == 0 || !strings.Contains(out, want) {
				t.Errorf("%v on %s: exit %d\n%s", args, path, code, out)
			}
		}
	}
}

// TestScrapeServedUnderFileLimit: with 128 open files, hundreds of idle
// keep-alive clients do not keep a scrape from being served.
func TestScrapeServedUnderFileLimit(t *testing.T) {
	dir := writeCertSet(t)
	cfg := writeConfig(t, dir, "pg")
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.PortT(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", `ulimit -n 128 && exec "$0" "$@"`, exporterBinary,
		"--config.file="+cfg, "--web.listen-address="+addr)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for i := range 300 {
		c, err := net.Dial("tcp", addr)
		for try := 0; err != nil && i == 0 && try < 100; try++ { // the exporter starts
			time.Sleep(50 * time.Millisecond)
			c, err = net.Dial("tcp", addr)
		}
		if err != nil {
			t.Fatalf("client %d: %v\n%s", i, err, stderr.String())
		}
		idle = append(idle, c)
		if err := c.SetDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Fprintf(c, "GET /-/healthy HTTP/1.1\r\nHost: exporter\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("client %d: %v\n%s", i, err, stderr.String())
		}
		resp.Body.Close()
	}
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v\n%s", err, stderr.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `pgtls_cert_verify_success{name="pg",path="pg.crt"} 1`) {
		t.Fatalf("scrape: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(stderr.String(), "too many open files") {
		t.Fatalf("the exporter ran out of files:\n%s", stderr.String())
	}
}
