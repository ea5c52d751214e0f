// Command demo shows pgtls_exporter at work: it writes a certificate set in
// the reference layout with one healthy entry and deliberate faults, prints
// the check report, serves /metrics and waits for Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/pgtls_exporter", "pgtls_exporter binary")
	dir := flag.String("dir", "demo-run", "folder for the demo files (recreated)")
	listen := flag.String("listen", "127.0.0.1:9871", "exporter listen address")
	noWait := flag.Bool("no-wait", false, "stop after printing instead of waiting for Ctrl-C")
	flag.Parse()
	if err := run(*bin, *dir, *listen, *noWait); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(bin, dir, listen string, noWait bool) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("demo folder: %w", err)
	}
	if err := os.RemoveAll(abs); err != nil {
		return fmt.Errorf("clear %s: %w", abs, err)
	}
	cfgPath, err := writeCertSet(abs, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("== Demo certificate set in %s\n", abs)
	fmt.Println("   pgbouncer: healthy; postgres: key 0644 and no SAN for \"db\"; replica: expires in 20 days")
	fmt.Printf("\n== pgtls_exporter check --config.file %s\n", cfgPath)
	checkCmd := exec.Command(bin, "check", "--config.file="+cfgPath)
	checkCmd.Stdout, checkCmd.Stderr = os.Stdout, os.Stderr
	err = checkCmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		fmt.Printf("(exit code %d: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)\n", exitErr.ExitCode())
	} else if err != nil {
		return fmt.Errorf("run check: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serve := exec.CommandContext(ctx, bin, "--config.file="+cfgPath, "--web.listen-address="+listen, "--log.level=warn")
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		return fmt.Errorf("start exporter: %w", err)
	}
	defer func() { _ = serve.Process.Signal(syscall.SIGTERM); _ = serve.Wait() }()
	metrics, err := scrape(ctx, "http://"+listen+"/metrics")
	if err != nil {
		return err
	}
	fmt.Printf("\n== Some of http://%s/metrics\n", listen)
	for _, line := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(line, "pgtls_cert_san_match") || strings.HasPrefix(line, "pgtls_key_permissions_ok") ||
			strings.HasPrefix(line, "pgtls_cert_not_after_timestamp_seconds") {
			fmt.Println("  ", line)
		}
	}
	fmt.Printf("\n== Exporter:  http://%s/\n   Metrics:   http://%s/metrics\n", listen, listen)
	if noWait {
		return nil
	}
	fmt.Println("\nPress Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

// scrape fetches url, retrying while the exporter starts.
func scrape(ctx context.Context, url string) (string, error) {
	deadline := time.Now().Add(10 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return "", err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, readErr := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(body), readErr
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("exporter at %s did not answer: %w", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
