package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/magflow/pgtls_exporter/dashboards"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// daemon is a real server the test runs (Prometheus, Alertmanager).
type daemon struct{ *testenv.Daemon }

// get fetches url with a timeout.
func get(url string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// waitUntil polls ok until it holds, or fails the test after limit (a
// generous bound: the test asserts the order of events, not their speed).
func waitUntil(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startPrometheus runs Prometheus scraping the exporter's /metrics every
// second with a copy of the shipped alert rules whose for: durations are
// dropped, sending its alerts to Alertmanager.
func startPrometheus(t *testing.T, exporter, alertmanager string) *daemon {
	t.Helper()
	dir := t.TempDir()
	groups := dashboards.AlertGroups()
	for g := range groups {
		for r := range groups[g].Rules {
			groups[g].Rules[r].For = ""
		}
	}
	data, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	rules := testcerts.WriteFile(t, filepath.Join(dir, "alerts.yml"), data, 0o644)
	cfg := testcerts.WriteFile(t, filepath.Join(dir, "prometheus.yml"), fmt.Appendf(nil, `global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: [%q]
alerting:
  alertmanagers: [{static_configs: [{targets: [%q]}]}]
scrape_configs:
  - job_name: pgtls
    static_configs: [{targets: [%q]}]
`, rules, strings.TrimPrefix(alertmanager, "http://"), exporter), 0o644)
	return &daemon{testenv.StartDaemon(t, "prometheus", "prometheus", "--web.listen-address", "--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--log.level=warn")}
}

// startAlertmanager runs Alertmanager with the README's route to the
// webhook (basic auth, resolved alerts sent), grouping and repeating
// within seconds.
func startAlertmanager(t *testing.T, webhookURL, repeat string) *daemon {
	t.Helper()
	dir := t.TempDir()
	pw := testcerts.WriteFile(t, filepath.Join(dir, "webhook.password"), []byte(amPassword+"\n"), 0o600)
	cfg := testcerts.WriteFile(t, filepath.Join(dir, "alertmanager.yml"), []byte(AlertmanagerConfig(AlertmanagerRoute{
		URL: webhookURL, User: amUser, PasswordFile: pw, GroupWait: "1s", GroupInterval: "1s", RepeatInterval: repeat})), 0o644)
	return &daemon{testenv.StartDaemon(t, "prometheus-alertmanager", "prometheus-alertmanager", "--web.listen-address",
		"--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"), "--cluster.listen-address=", "--log.level=debug")}
}

// promAlert is an alert as Prometheus' API lists it.
type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// alerts lists Prometheus' alerts named name on subject.
func (d *daemon) alerts(t *testing.T, name, subject string) []promAlert {
	t.Helper()
	status, data, err := get(d.Base + "/api/v1/alerts")
	if err != nil || status != http.StatusOK {
		t.Fatalf("prometheus alerts: %d %v", status, err)
	}
	var res struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	var out []promAlert
	for _, a := range res.Data.Alerts {
		if a.Labels["alertname"] == name && a.Labels["subject"] == subject {
			out = append(out, a)
		}
	}
	return out
}

// value is the value of one series of a webhook's /metrics, 0 when absent.
func value(t *testing.T, base, series string) float64 {
	t.Helper()
	lines := scrape(t, base, amUser, amPassword, series+" ")
	if len(lines) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(strings.TrimPrefix(lines[0], series+" "), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// requireValues checks series of a webhook's /metrics.
func requireValues(t *testing.T, base string, want map[string]float64) {
	t.Helper()
	for series, w := range want {
		if got := value(t, base, series); got != w {
			t.Errorf("%s = %v, want %v", series, got, w)
		}
	}
}

// servedSerial is the serial (lowercase hex) of the certificate a
// PostgreSQL or PgBouncer serves, as openssl s_client sees it.
func servedSerial(t *testing.T, addr string) string {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		testenv.SkipOrFatal(t, "openssl not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sc := exec.CommandContext(ctx, "openssl", "s_client", "-starttls", "postgres", "-connect", addr)
	sc.Stdin = strings.NewReader("")
	served, err := sc.Output()
	if err != nil {
		t.Fatalf("openssl s_client -starttls postgres -connect %s: %v", addr, err)
	}
	x := exec.CommandContext(ctx, "openssl", "x509", "-noout", "-serial")
	x.Stdin = strings.NewReader(string(served))
	out, err := x.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl x509 -serial: %v\n%s", err, out)
	}
	return strings.TrimPrefix(strings.TrimSpace(strings.ToLower(string(out))), "serial=")
}

// e2eConfig is the configuration of the loop: the stack's two entries and
// targets, renew reloading PostgreSQL with postgresReload and PgBouncer
// over its admin console.
func e2eConfig(t *testing.T, s *testenv.Stack, tc *testenv.TestCerts, caKey, postgresReload string) string {
	t.Helper()
	dir := t.TempDir()
	owner := ""
	if os.Geteuid() == 0 {
		owner = "postgres" // the servers run as postgres, renew gives it the keys
	}
	testcerts.WriteFile(t, filepath.Join(dir, "stats.pw"), []byte(s.Password(testenv.UserStats)+"\n"), 0o600)
	f := tc.Files
	return testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), fmt.Appendf(nil, `ca: {cert: %s, key: %s}
certificates:
  - {name: postgres, cert: %s, key: %s, expected_names: [postgres, db, localhost, 127.0.0.1], key_owner: %q}
  - {name: pgbouncer, cert: %s, key: %s, expected_names: [pgbouncer, localhost, 127.0.0.1], key_owner: %q}
targets:
  - {name: postgres, address: %q, server_name: db, certificate: postgres}
  - {name: pgbouncer, address: %q, server_name: pgbouncer, certificate: pgbouncer}
renew:
  state_dir: renew-state
  verify_timeout: 5s
  services:
    - name: db
      kind: postgres
      certificates: [postgres]
      reload: %s
    - name: pgbouncer
      kind: pgbouncer
      certificates: [pgbouncer]
      reload: {sql: {dsn: "host=%s port=%d dbname=pgbouncer user=stats sslmode=disable", password_file: stats.pw}}
webhook: {min_interval: 1h}
`, f.CA, caKey, f.PostgresCert, f.PostgresKey, owner, f.PgBouncerCert, f.PgBouncerKey, owner,
		s.PostgresAddr(), s.PgBouncerAddr(), postgresReload, s.PgBouncerSocketDir(), s.PgBouncerPort()), 0o644)
}

// sqlReload reloads PostgreSQL over its unix socket as the superuser.
func sqlReload(s *testenv.Stack) string {
	return fmt.Sprintf(`{sql: {dsn: "host=%s port=%d dbname=postgres user=postgres sslmode=disable"}}`, s.SocketDir(), s.PostgresPort())
}

// logTo is a logger writing to the test's output.
func logTo(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}
