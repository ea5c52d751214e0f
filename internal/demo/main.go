// Command demo shows pgtls_exporter at work from nothing: `renew --init
// --no-reload` issues a CA and certificates in the reference layout, a real
// TLS PostgreSQL with PgBouncer in front starts on them on loopback, a real
// `renew --force` replaces both certificates, reloads both servers and
// verifies the new serials are served, then the demo prints the check
// report and serves /metrics until Ctrl-C, and stops everything. With
// --rotate-ca it also rotates the CA (renew --rotate-ca: prepare, switch,
// finish), showing after each step which clients connect. Then it closes
// the loop from an alert to a served certificate: PostgreSQL gets a
// certificate that expires soon, Prometheus fires the alert, Alertmanager
// delivers it to `pgtls_exporter webhook`, which renews it, and the alert
// resolves.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

type options struct {
	bin, dir, listen string
	promListen       string
	amListen         string
	webhookListen    string
	noWait           bool
	rotateCA         bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/pgtls_exporter", "pgtls_exporter binary")
	flag.StringVar(&o.dir, "dir", "demo-run", "folder for the demo files (recreated)")
	flag.StringVar(&o.listen, "listen", "127.0.0.1:9871", "exporter listen address")
	flag.StringVar(&o.promListen, "prometheus-listen", "127.0.0.1:9090", "Prometheus listen address")
	flag.StringVar(&o.amListen, "alertmanager-listen", "127.0.0.1:9093", "Alertmanager listen address")
	flag.StringVar(&o.webhookListen, "webhook-listen", "127.0.0.1:9872", "pgtls_exporter webhook listen address")
	flag.BoolVar(&o.noWait, "no-wait", false, "stop after printing instead of waiting for Ctrl-C")
	flag.BoolVar(&o.rotateCA, "rotate-ca", false, "also rotate the CA with renew --rotate-ca, showing which clients connect after each step")
	flag.Parse()
	if err := run(o); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return fmt.Errorf("demo folder: %w", err)
	}
	bin, err := binaryPath(o.bin)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	cfgPath := filepath.Join(dir, configName)
	owner := keyOwner()
	if err := writeFile(cfgPath, demoConfig(nil, owner), 0o644); err != nil {
		return err
	}
	pgtls := exporter{bin: bin, dir: dir, out: os.Stdout, errOut: os.Stderr}
	fmt.Printf("== The demo folder is %s: the pgtls_exporter commands below run there, on its %s,\n"+
		"   with pgtls_exporter = %s\n", dir, configName, bin)
	if err := pgtls.run("A new CA and the PgBouncer and PostgreSQL certificates (the demo writes the replica's itself, below)",
		[]string{"renew", configFlag, "--init", "--no-reload", "--only", "pgbouncer", "--only", "postgres"}); err != nil {
		return err
	}
	fmt.Printf("\n== The demo writes a faulty replica entry for check to find (%s),\n"+
		"   and its pg_hba.conf for the audit (line 2 lets md5 logins in without TLS)\n", replicaFaults)
	certDir := filepath.Join(dir, "certs")
	if _, err := writeFaultyReplica(certDir, time.Now()); err != nil {
		return err
	}
	if err := writeReplicaHBA(dir); err != nil {
		return err
	}

	// What the demo started, stopped in reverse by the defers below; this
	// one, the first, runs last.
	var up []service
	defer func() { fmt.Print(stopped(up)) }()
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stack, err := testenv.Start(startCtx, testenv.Options{Dir: filepath.Join(dir, "stack"), Certs: certFiles(certDir), WithPgBouncer: true,
		AuditGrants: true, Log: logger})
	if err != nil {
		return fmt.Errorf("start PostgreSQL and PgBouncer: %w", err)
	}
	up = append(up, service{"PostgreSQL", stack.PostgresAddr()}, service{"PgBouncer", stack.PgBouncerAddr()})
	defer func() {
		if err := stack.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "demo: stop servers:", err)
		}
	}()
	fmt.Printf("\n== PostgreSQL (TLS 1.2+, hostssl and SCRAM only) on %s, PgBouncer (TLS required, verify-full to PostgreSQL) on %s\n",
		stack.PostgresAddr(), stack.PgBouncerAddr())

	sessionsConfig, err := writeSecrets(dir, stack)
	if err != nil {
		return err
	}
	closeSessions, err := openClientSessions(ctx, stack)
	if err != nil {
		return err
	}
	defer closeSessions()
	rotation := ""
	if o.rotateCA {
		rotation = rotationConfig(stack)
	}
	if err := writeFile(cfgPath, demoConfig(stack, owner)+rotation+sessionsConfig, 0o644); err != nil {
		return err
	}
	if err := pgtls.run("New PgBouncer and PostgreSQL certificates, both servers reloaded, new serials verified (the replica keeps its faults)",
		[]string{"renew", configFlag, "--force", "--only", "pgbouncer", "--only", "postgres"}); err != nil {
		return err
	}
	if o.rotateCA {
		if err := showRotation(ctx, pgtls, stack); err != nil {
			return err
		}
		if err := refaultReplica(pgtls.out, certDir, time.Now()); err != nil {
			return err
		}
	}

	if err := runCheck(pgtls); err != nil {
		return err
	}
	serveArgs := []string{configFlag, "--web.listen-address=" + o.listen, "--log.level=warn", "--web.enable-lifecycle"}
	fmt.Print(header("The exporter, serving until the demo stops it", serveArgs))
	serve := pgtls.cmd(ctx, serveArgs)
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		return fmt.Errorf("start exporter: %w", err)
	}
	up = append(up, service{"the exporter", "http://" + o.listen + "/"})
	defer func() { _ = serve.Process.Signal(syscall.SIGTERM); _ = serve.Wait() }()
	if _, err := scrape(ctx, "http://"+o.listen+"/-/ready"); err != nil {
		return err
	}
	metrics, err := scrape(ctx, "http://"+o.listen+"/metrics")
	if err != nil {
		return err
	}
	fmt.Printf("\n== A few series from http://%s/metrics\n", o.listen)
	for _, line := range strings.Split(metrics, "\n") {
		for _, prefix := range []string{"pgtls_probe_success", "pgtls_probe_cert_matches_file", "pgtls_probe_tls_version_info",
			"pgtls_pg_stat_ssl_connections", "pgtls_pgbouncer_connections",
			"pgtls_problem{", "pgtls_cert_san_match{expected=\"replica", "pgtls_key_permissions_ok{name=\"replica",
			"pgtls_renew_last_success_timestamp_seconds", "pgtls_renew_entry_last_result{name=\"postgres\",result=\"renewed\"}",
			"pgtls_ca_rotation_phase{", "pgtls_ca_rotation_ca_not_after"} {
			if strings.HasPrefix(line, prefix) {
				fmt.Println("  ", line)
			}
		}
	}
	rules, err := filepath.Abs("dashboards/alerts.yml")
	if err != nil {
		return fmt.Errorf("alert rules: %w", err)
	}
	wh, err := startWebhook(ctx, pgtls, o.webhookListen)
	if err != nil {
		return err
	}
	up = append(up, service{"the webhook", "http://" + o.webhookListen + "/metrics (user " + webhookUser + ", password in secrets/webhook_password)"})
	defer wh.stop()
	stopAM, err := startAlertmanager(ctx, dir, o.amListen, "http://"+o.webhookListen, webhookUser, wh.passwordFile)
	if err != nil {
		return err
	}
	up = append(up, service{"Alertmanager", "http://" + o.amListen + "/"})
	defer stopAM()
	stopProm, err := startPrometheus(ctx, dir, o.listen, o.promListen, rules, o.amListen)
	if err != nil {
		return err
	}
	defer stopProm()
	promBase := "http://" + o.promListen
	alertsURL, err := alertsPage(ctx, &http.Client{Timeout: 10 * time.Second}, promBase)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		alertsURL = promBase + "/"
	}
	up = append(up, service{"Prometheus", alertsURL})
	fmt.Print(urlsBlock(o.noWait, o.listen, alertsURL))
	alerts, err := firingAlerts(ctx, o.promListen, 30*time.Second)
	if err != nil {
		return fmt.Errorf("ask Prometheus for alerts: %w", err)
	}
	fmt.Println("\n== Alerts in Prometheus now (the replica entry's faults and its pg_hba.conf; for: durations keep some pending):")
	for _, a := range alerts {
		fmt.Println("  ", a)
	}
	if err := showLoop(ctx, os.Stdout, certDir, stack, o.promListen, o.listen, wh.events); err != nil {
		return err
	}
	fmt.Print(closing(o.noWait, up))
	if o.noWait {
		return nil
	}
	<-ctx.Done()
	return nil
}

// binaryPath makes the pgtls_exporter binary absolute, since the commands
// run in the demo folder: a path as given, a bare name from PATH.
func binaryPath(bin string) (string, error) {
	if !strings.Contains(bin, string(filepath.Separator)) {
		found, err := exec.LookPath(bin)
		if err != nil {
			return "", fmt.Errorf("pgtls_exporter binary: %w", err)
		}
		bin = found
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", fmt.Errorf("pgtls_exporter binary: %w", err)
	}
	return abs, nil
}

// runCheck runs the check report; its exit code is shown, not an error.
func runCheck(pgtls exporter) error {
	err := pgtls.run("The check report on all of it", []string{"check", configFlag})
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		fmt.Fprintf(pgtls.out, "(exit code %d: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)\n", exitErr.ExitCode())
	case err != nil:
		return fmt.Errorf("run check: %w", err)
	default:
		fmt.Fprintln(pgtls.out, "(exit code 0: OK)")
	}
	return nil
}

// writeFile writes a demo file with mode.
func writeFile(path, content string, mode os.FileMode) error {
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Chmod(path, mode)
}

// scrape fetches url, retrying until it answers 200 (while the exporter
// starts and reads its files).
func scrape(ctx context.Context, url string) (string, error) {
	deadline := time.Now().Add(15 * time.Second)
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return "", err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, readErr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body), readErr
			}
			err = fmt.Errorf("%s: %s", resp.Status, body)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("exporter at %s did not answer: %w", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
