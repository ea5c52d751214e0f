package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/server"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// promServer is a real Prometheus (Debian package prometheus) on loopback.
type promServer struct{ base string }

func startPrometheus(t *testing.T, config string) *promServer {
	t.Helper()
	dir := t.TempDir()
	cfg := testcerts.WriteFile(t, filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644)
	d := testenv.StartDaemon(t, "prometheus", "prometheus", "--web.listen-address", "--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--log.level=warn")
	return &promServer{base: d.Base}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool, detail ...func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			for _, d := range detail {
				t.Log(d())
			}
			t.Fatalf("gave up waiting for %s after %v", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// api calls a Prometheus HTTP API endpoint and decodes its data field.
func (p *promServer) api(t *testing.T, path string, params url.Values, data any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path+"?"+params.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s", env.Error)
	}
	return json.Unmarshal(env.Data, data)
}

type alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// TestPrometheusEndToEnd runs the exporter against a real TLS PostgreSQL and
// PgBouncer whose PostgreSQL certificate expires in 3 days, and a real
// Prometheus that scrapes /metrics and /probe (file_sd + relabelling as in
// the README) with alerts.yml loaded.
func TestPrometheusEndToEnd(t *testing.T) {
	certDir := filepath.Join(t.TempDir(), "certs")
	tc := testenv.WriteTestCerts(t, certDir)
	opts := testenv.PostgresCertOptions()
	opts.NotAfter = time.Now().Add(72 * time.Hour)
	tc.RotatePostgres(t, opts)
	s := testenv.StartT(t, testenv.Options{Certs: tc.Files, WithPgBouncer: true, AuditGrants: true})

	openSessions(t, s)
	f := tc.Files
	cfgDir := t.TempDir()
	for _, user := range []string{testenv.UserMonitor, testenv.UserStats} {
		testcerts.WriteFile(t, filepath.Join(cfgDir, user+".pw"), []byte(s.Password(user)+"\n"), 0o600)
	}
	// A renew that succeeded an hour ago, as the renew command records it.
	lastRun := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Mkdir(filepath.Join(cfgDir, "renew-state"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := renewstate.Write(renewstate.Path(filepath.Join(cfgDir, "renew-state")), &renewstate.State{
		Version: 1, LastRun: lastRun, LastSuccess: lastRun, Entries: map[string]renewstate.Entry{
			"pgbouncer": {Result: renewstate.ResultRenewed, LastRenewed: lastRun}}}); err != nil {
		t.Fatal(err)
	}
	// The audit of the hardened stack finds nothing; a legacy host's
	// pg_hba.conf, judged offline, has a plaintext rule that is acknowledged.
	testcerts.WriteFile(t, filepath.Join(cfgDir, "legacy_hba.conf"), []byte("hostnossl all all 10.0.0.0/8 scram-sha-256\n"), 0o644)
	cfgPath := testcerts.WriteFile(t, filepath.Join(cfgDir, "config.yml"), []byte(fmt.Sprintf(`
ca: {cert: %s}
certificates:
  - {name: postgres, cert: %s, key: %s, expected_names: [db, 127.0.0.1]}
  - {name: pgbouncer, cert: %s, key: %s, expected_names: [pgbouncer]}
targets:
  - {name: postgres, address: %q, server_name: db, certificate: postgres}
  - {name: pgbouncer, address: %q, server_name: pgbouncer, certificate: pgbouncer}
  - {name: down, address: "127.0.0.1:%d"}
sessions:
  postgres:
    - {name: db, dsn: "host=127.0.0.1 port=%d dbname=magflow user=monitor sslmode=verify-full sslrootcert=%s", password_file: monitor.pw}
  pgbouncer:
    - {name: pgbouncer, dsn: "host=127.0.0.1 port=%d dbname=pgbouncer user=stats sslmode=verify-full sslrootcert=%s", password_file: stats.pw, expect_server_tls: true}
renew: {state_dir: renew-state}
audit:
  live: true
  files: {pg_hba: [legacy_hba.conf]}
  acknowledge:
    - {code: hba_plaintext_allowed, subject: legacy_hba.conf, match: "legacy_hba.conf:1", reason: legacy host until 2027-03}
`, f.CA, f.PostgresCert, f.PostgresKey, f.PgBouncerCert, f.PgBouncerKey, s.PostgresAddr(), s.PgBouncerAddr(),
		testenv.PortT(t), s.PostgresPort(), f.CA, s.PgBouncerPort(), f.CA)), 0o644)
	srv, err := server.New(server.Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		DefaultScrapeTimeout: 10 * time.Second, TimeoutOffset: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	exporter := httptest.NewServer(srv.Handler())
	defer exporter.Close()
	exporterAddr := strings.TrimPrefix(exporter.URL, "http://")

	promDir := t.TempDir()
	rules, err := filepath.Abs("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	sd := testcerts.WriteFile(t, filepath.Join(promDir, "pgtls-targets.json"),
		[]byte(`[{"targets": ["postgres", "pgbouncer", "down"], "labels": {"module": "postgres"}}]`), 0o644)
	p := startPrometheus(t, PrometheusConfig(rules, exporterAddr, sd, time.Second))

	// The key series arrive through both jobs.
	for _, q := range []string{
		`pgtls_cert_not_after_timestamp_seconds{job="pgtls",name="postgres"}`,
		`pgtls_probe_success{job="pgtls",target="pgbouncer"} == 1`,
		`pgtls_probe_success{job="pgtls-probe",instance="postgres"} == 1`,
		`pgtls_probe_cert_matches_file{job="pgtls-probe",instance="pgbouncer"} == 1`,
		`pgtls_exporter_build_info{job="pgtls"}`,
		`pgtls_scrape_collector_success{job="pgtls",collector="pg_stat_ssl/db"} == 1`,
		`pgtls_scrape_collector_success{job="pgtls",collector="pgbouncer/pgbouncer"} == 1`,
		`pgtls_renew_last_success_timestamp_seconds{job="pgtls"} > 0`,
		// A target where nothing listens: its reason, as Prometheus sees it.
		`pgtls_probe_failure_info{job="pgtls-probe",instance="down",phase="dial",code="connection_refused"} == 1`,
		`pgtls_problem{job="pgtls",source="probes",subject="down",code="connection_refused",severity="critical"} == 1`,
		// The audit: settings and files as served, the acknowledged rule.
		`pgtls_audit_setting_info{job="pgtls",subject="postgres/db",setting="ssl_min_protocol_version",value="TLSv1.2"}`,
		`pgtls_audit_tls_file_info{job="pgtls",subject="pgbouncer/pgbouncer",setting="client_tls_cert_file",entry="pgbouncer"}`,
		`pgtls_audit_acknowledged_info{job="pgtls",subject="legacy_hba.conf",code="hba_plaintext_allowed"}`,
		`pgtls_scrape_collector_success{job="pgtls",collector="audit/postgres/db"} == 1`,
	} {
		var res struct {
			Result []json.RawMessage `json:"result"`
		}
		waitFor(t, 30*time.Second, q, func() bool {
			return p.api(t, "/api/v1/query", url.Values{"query": {q}}, &res) == nil && len(res.Result) > 0
		})
		if strings.Contains(q, `"down"`) {
			t.Logf("Prometheus answers %s with %s", q, res.Result[0])
		}
	}

	// The 3-day certificate makes the expires_very_soon alert fire, for the
	// file and for what is served (by both jobs), with the exported
	// severity; the dead target's alerts (its handshake, and its TLS scan,
	// which /metrics alone exports) wait out their for-durations; nothing
	// else fires or is pending.
	want := []string{"PgTLSExpiresVerySoon/pgtls/files/postgres/critical/firing", "PgTLSExpiresVerySoon/pgtls/probes/postgres/critical/firing",
		"PgTLSExpiresVerySoon/pgtls-probe/probes/postgres/critical/firing",
		"PgTLSConnectionRefused/pgtls/probes/down/critical/pending", "PgTLSConnectionRefused/pgtls-probe/probes/down/critical/pending",
		"PgTLSScanFailed/pgtls/scans/down/unknown/pending"}
	sort.Strings(want)
	var got []string
	waitFor(t, 30*time.Second, "expiry alerts firing", func() bool {
		var res struct {
			Alerts []alert `json:"alerts"`
		}
		if err := p.api(t, "/api/v1/alerts", nil, &res); err != nil {
			return false
		}
		got = got[:0]
		for _, a := range res.Alerts {
			got = append(got, strings.Join([]string{a.Labels["alertname"], a.Labels["job"], a.Labels["source"],
				a.Labels["subject"], a.Labels["severity"], a.State}, "/"))
		}
		sort.Strings(got)
		return slices.Equal(got, want)
	}, func() string { return fmt.Sprintf("alerts %v, want %v", got, want) })

	checkQueries(t, p)
}

var grafanaVars = strings.NewReplacer(`"$instance"`, `".*"`, `"$name"`, `".*"`, `"$target"`, `".*"`,
	"$__rate_interval", "1m", "$__interval", "1m")

var metricName = regexp.MustCompile(`\bpgtls_[a-z0-9_]+\b`)

// checkQueries parses every dashboard and alert expression with the running
// Prometheus and checks that each pgtls_ metric it names is one the exporter
// exported to it.
func checkQueries(t *testing.T, p *promServer) {
	t.Helper()
	var exported []string
	if err := p.api(t, "/api/v1/label/__name__/values", nil, &exported); err != nil {
		t.Fatal(err)
	}
	for _, e := range allExpressions(t) {
		var res json.RawMessage
		if err := p.api(t, "/api/v1/query", url.Values{"query": {grafanaVars.Replace(e)}}, &res); err != nil {
			t.Errorf("query does not parse or run: %s: %v", e, err)
		}
		for _, name := range metricName.FindAllString(e, -1) {
			if !slices.Contains(exported, name) {
				t.Errorf("query names %s, which the exporter does not export: %s", name, e)
			}
		}
	}
}

// allExpressions lists the PromQL of every dashboard query, template
// variable and alert rule.
func allExpressions(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, p := range Build().Panels {
		for _, q := range p.Targets {
			out = append(out, q.Expr)
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.*), \w+\)$`)
	for _, v := range Build().Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			m := labelValues.FindStringSubmatch(q["query"].(string))
			if m == nil {
				t.Fatalf("variable %s: unexpected query %v", v.Name, q["query"])
			}
			out = append(out, m[1])
		}
	}
	raw, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if expr, ok := strings.CutPrefix(strings.TrimSpace(line), "expr: "); ok {
			out = append(out, expr)
		}
	}
	return out
}

// openSessions opens one application session through PgBouncer (which
// opens a TLS server connection to PostgreSQL) and one straight to
// PostgreSQL, both verify-full, for the session metrics to count.
func openSessions(t *testing.T, s *testenv.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, dsn := range []string{
		s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full") + " default_query_exec_mode=exec",
		s.PostgresDSN(testenv.UserApp, "verify-full"),
	} {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatalf("client session: %v", err)
		}
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
}
