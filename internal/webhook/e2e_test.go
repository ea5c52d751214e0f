package webhook

import (
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/rules/defaults"
	"github.com/magflow/pgtls_exporter/internal/server"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// loopWait bounds each wait of the loop: generous, since the test asserts
// the order of the events, not their speed.
const loopWait = 3 * time.Minute

// loop is a running loop: PostgreSQL and PgBouncer whose PostgreSQL
// certificate expires within warn_before, the exporter, the webhook (real
// renew, basic auth), Alertmanager and Prometheus with the alert rules.
type loop struct {
	stack     *testenv.Stack
	cfgPath   string
	oldSerial string
	webhook   string
	prom      *daemon
}

// startLoop starts the loop; postgresReload is the PostgreSQL service's
// reload, repeat Alertmanager's repeat_interval.
func startLoop(t *testing.T, postgresReload func(*testenv.Stack) string, repeat string) *loop {
	t.Helper()
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	opts := testenv.PostgresCertOptions()
	opts.NotAfter = time.Now().Add(defaults.WarnBefore / 2) // expires_soon: within warn_before, not crit_before
	tc.RotatePostgres(t, opts)
	caKey := testcerts.WriteFile(t, filepath.Join(t.TempDir(), "ca.key"), tc.CA.KeyPEM, 0o600)
	s := testenv.StartT(t, testenv.Options{Certs: tc.Files, WithPgBouncer: true})
	l := &loop{stack: s, cfgPath: e2eConfig(t, s, tc, caKey, postgresReload(s))}
	if l.oldSerial = servedSerial(t, s.PostgresAddr()); l.oldSerial != certs.Serial(tc.Postgres.Cert) {
		t.Fatalf("PostgreSQL serves %s, its file holds %s", l.oldSerial, certs.Serial(tc.Postgres.Cert))
	}
	srv, err := server.New(server.Options{ConfigFile: l.cfgPath, Logger: quiet(), DefaultScrapeTimeout: 10 * time.Second,
		TimeoutOffset: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	exporter := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { exporter.Close(); _ = srv.Close() })
	webConfig := writeWebConfig(t, "basic_auth_users:\n  "+amUser+": "+amHash+"\n")
	l.webhook = runServer(t, Options{ConfigFile: l.cfgPath, WebConfig: loopback(t, webConfig), Logger: logTo(t)})
	am := startAlertmanager(t, l.webhook, repeat)
	l.prom = startPrometheus(t, strings.TrimPrefix(exporter.URL, "http://"), am.Base)
	return l
}

// firing reports whether Prometheus has the alert firing on subject.
func (l *loop) firing(t *testing.T, alert, subject string) bool {
	for _, a := range l.prom.alerts(t, alert, subject) {
		if a.State == "firing" {
			return true
		}
	}
	return false
}

// fileSerial is the serial of the certificate in a file.
func fileSerial(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s holds no PEM", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return certs.Serial(c)
}

// TestAlertToServedCertificate: a PostgreSQL certificate within
// warn_before makes Prometheus fire PgTLSExpiresSoon; Alertmanager
// delivers it to the webhook (with basic auth), which renews the entry
// (install, reload, verify); PostgreSQL serves the new serial, as openssl
// sees it; the problem goes and the alert resolves. The file's and the
// probe's alerts for the entry make one renew run.
func TestAlertToServedCertificate(t *testing.T) {
	l := startLoop(t, sqlReload, "1h")
	start := time.Now()
	waitUntil(t, loopWait, "PgTLSExpiresSoon firing on postgres", func() bool { return l.firing(t, "PgTLSExpiresSoon", "postgres") })
	fired := time.Now()
	waitUntil(t, loopWait, "the webhook to queue a renew", func() bool {
		return value(t, l.webhook, `pgtls_webhook_alerts_total{action="renew",result="queued"}`) == 1
	})
	delivered := time.Now()
	waitUntil(t, loopWait, "the renew run to end", func() bool {
		return value(t, l.webhook, `pgtls_webhook_last_run_timestamp_seconds`) > 0
	})
	renewed := time.Now()
	if ok := value(t, l.webhook, `pgtls_webhook_renew_runs_total{result="ok"}`); ok != 1 {
		t.Fatalf("renew runs ok: %v, want 1:\n%s", ok, strings.Join(scrape(t, l.webhook, amUser, amPassword, "pgtls_webhook_", "pgtls_renew_"), "\n"))
	}
	newSerial, inFile := servedSerial(t, l.stack.PostgresAddr()), fileSerial(t, l.stack.Certs().PostgresCert)
	if newSerial == l.oldSerial || newSerial != inFile {
		t.Fatalf("PostgreSQL serves %s (before: %s), its file holds %s", newSerial, l.oldSerial, inFile)
	}
	served := time.Now()
	waitUntil(t, loopWait, "PgTLSExpiresSoon on postgres to resolve, and the webhook to hear it", func() bool {
		return len(l.prom.alerts(t, "PgTLSExpiresSoon", "postgres")) == 0 &&
			value(t, l.webhook, `pgtls_webhook_alerts_total{action="renew",result="resolved"}`) >= 1
	})
	resolved := time.Now()
	requireValues(t, l.webhook, map[string]float64{
		`pgtls_webhook_alerts_total{action="renew",result="queued"}`:      1,
		`pgtls_webhook_renew_runs_total{result="ok"}`:                     1,
		`pgtls_webhook_renew_runs_total{result="rolled_back"}`:            0,
		`pgtls_renew_last_exit_code`:                                      0,
		`pgtls_renew_entry_last_result{name="postgres",result="renewed"}`: 1,
	})
	t.Logf("the loop, from Prometheus ready: alert fired +%s, delivered and queued +%s, renewed +%s, new serial %s served +%s (was %s), alert resolved +%s; %s from firing to resolved",
		fired.Sub(start).Round(time.Millisecond), delivered.Sub(start).Round(time.Millisecond), renewed.Sub(start).Round(time.Millisecond),
		newSerial, served.Sub(start).Round(time.Millisecond), l.oldSerial, resolved.Sub(start).Round(time.Millisecond),
		resolved.Sub(fired).Round(time.Millisecond))
}

// TestRolledBackRenewWaitsForMinInterval: a PostgreSQL reload that exits
// 0 and does nothing leaves the old certificate served, so renew's
// verification fails and it rolls back: the old serial is served, the
// webhook exports renew_rolled_back, Prometheus fires its alert, and
// Alertmanager's repeats of the expiry alert wait for min_interval.
func TestRolledBackRenewWaitsForMinInterval(t *testing.T) {
	l := startLoop(t, func(*testenv.Stack) string { return `{command: [/bin/true]}` }, "2s")
	waitUntil(t, loopWait, "the renew run to end", func() bool {
		return value(t, l.webhook, `pgtls_webhook_last_run_timestamp_seconds`) > 0
	})
	if got := value(t, l.webhook, `pgtls_webhook_renew_runs_total{result="rolled_back"}`); got != 1 {
		t.Fatalf("rolled back runs: %v, want 1:\n%s", got, strings.Join(scrape(t, l.webhook, amUser, amPassword, "pgtls_webhook_", "pgtls_renew_"), "\n"))
	}
	if got := servedSerial(t, l.stack.PostgresAddr()); got != l.oldSerial {
		t.Fatalf("PostgreSQL serves %s after the rollback, want the old %s", got, l.oldSerial)
	}
	problem := `pgtls_problem{code="renew_rolled_back",severity="warning",source="renew",subject="renew"} 1`
	if got := scrape(t, l.webhook, amUser, amPassword, `pgtls_problem{code="renew_rolled_back"`); len(got) != 1 || got[0] != problem {
		t.Fatalf("the webhook's /metrics has %q, want %s", got, problem)
	}
	waitUntil(t, loopWait, "PgTLSRenewRolledBack firing", func() bool { return l.firing(t, "PgTLSRenewRolledBack", "renew") })
	waitUntil(t, loopWait, "Alertmanager's repeat to meet min_interval", func() bool {
		return value(t, l.webhook, `pgtls_webhook_alerts_total{action="renew",result="min_interval"}`) >= 1
	})
	requireValues(t, l.webhook, map[string]float64{
		`pgtls_webhook_alerts_total{action="renew",result="queued"}`:          1,
		`pgtls_webhook_renew_runs_total{result="rolled_back"}`:                1,
		`pgtls_webhook_renew_runs_total{result="ok"}`:                         0,
		`pgtls_renew_last_exit_code`:                                          1,
		`pgtls_renew_entry_last_result{name="postgres",result="rolled_back"}`: 1,
	})
	if !l.firing(t, "PgTLSExpiresSoon", "postgres") {
		t.Error("PgTLSExpiresSoon on postgres no longer fires, though the old certificate is served")
	}
}
