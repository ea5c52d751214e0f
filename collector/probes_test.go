package collector

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/targets"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
	"github.com/magflow/pgtls_exporter/internal/testpeer"
)

// serverTLS is a TLS server configuration presenting leaf.
func serverTLS(leaf *testcerts.Issued) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}}}
}

// TestProbeReasons: every way a target fails reaches Prometheus with its
// reason, as pgtls_probe_failure_info and pgtls_problem, with the code and
// severity of the rules table.
func TestProbeReasons(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca := testcerts.CA(t, "Probe CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	other := testcerts.CA(t, "Other CA")
	peers := map[string]string{
		"closed":       fmt.Sprintf("127.0.0.1:%d", testenv.PortT(t)), // reserved, nothing listens
		"silent":       testpeer.Start(t, testpeer.Silent).Addr,
		"not_postgres": testpeer.Start(t, testpeer.Answer([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false)).Addr,
		"tls_off":      testpeer.Start(t, testpeer.Answer([]byte("N"), true)).Addr,
		"wrong_ca": testpeer.Start(t, testpeer.TLSAfterS(serverTLS(testcerts.Issue(t, other,
			testcerts.Options{DNSNames: []string{"db"}})))).Addr,
		"wrong_name": testpeer.Start(t, testpeer.TLSAfterS(serverTLS(testcerts.Issue(t, ca,
			testcerts.Options{DNSNames: []string{"replica"}})))).Addr,
		"expired": testpeer.Start(t, testpeer.TLSAfterS(serverTLS(testcerts.Issue(t, ca,
			testcerts.Options{DNSNames: []string{"db"}, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})))).Addr,
		"healthy": testpeer.Start(t, testpeer.TLSAfterS(serverTLS(testcerts.Issue(t, ca,
			testcerts.Options{DNSNames: []string{"db"}})))).Addr,
	}
	var yaml strings.Builder
	yaml.WriteString("ca: {cert: ca.crt}\ntargets:\n")
	for _, name := range []string{"closed", "silent", "not_postgres", "tls_off", "wrong_ca", "wrong_name", "expired", "healthy"} {
		timeout := "" // a silent peer costs its timeout; the others answer at once
		if name == "silent" {
			timeout = ", timeout: 300ms"
		}
		fmt.Fprintf(&yaml, "  - {name: %s, address: %q, server_name: db%s}\n", name, peers[name], timeout)
	}
	cfg, err := config.Parse([]byte(yaml.String()), dir)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	exporter := NewExporter(quiet, NewProbes(targets.New(cfg), inspect.New(cfg, 1), rules.PolicyOf(cfg), quiet))
	want := `# HELP pgtls_probe_failure_info Why a probe established no TLS session: the phase it stopped in and the problem code.
# TYPE pgtls_probe_failure_info gauge
pgtls_probe_failure_info{code="connection_refused",phase="dial",target="closed"} 1
pgtls_probe_failure_info{code="not_postgres",phase="sslrequest_reply",target="not_postgres"} 1
pgtls_probe_failure_info{code="ssl_refused",phase="sslrequest_reply",target="tls_off"} 1
pgtls_probe_failure_info{code="timeout",phase="sslrequest_reply",target="silent"} 1
# HELP pgtls_probe_success Whether a TLS session was established with the target.
# TYPE pgtls_probe_success gauge
pgtls_probe_success{target="closed"} 0
pgtls_probe_success{target="expired"} 1
pgtls_probe_success{target="healthy"} 1
pgtls_probe_success{target="not_postgres"} 0
pgtls_probe_success{target="silent"} 0
pgtls_probe_success{target="tls_off"} 0
pgtls_probe_success{target="wrong_ca"} 1
pgtls_probe_success{target="wrong_name"} 1
# HELP pgtls_problem A current problem (absent when healthy); code and severity come from the rules table.
# TYPE pgtls_problem gauge
pgtls_problem{code="connection_refused",severity="critical",source="probes",subject="closed"} 1
pgtls_problem{code="expired",severity="critical",source="probes",subject="expired"} 1
pgtls_problem{code="name_mismatch",severity="critical",source="probes",subject="wrong_name"} 1
pgtls_problem{code="not_postgres",severity="critical",source="probes",subject="not_postgres"} 1
pgtls_problem{code="ssl_refused",severity="critical",source="probes",subject="tls_off"} 1
pgtls_problem{code="timeout",severity="critical",source="probes",subject="silent"} 1
pgtls_problem{code="unknown_authority",severity="critical",source="probes",subject="wrong_ca"} 1
`
	if err := testutil.CollectAndCompare(exporter, strings.NewReader(want),
		"pgtls_probe_failure_info", "pgtls_probe_success", "pgtls_problem"); err != nil {
		t.Fatal(err)
	}
}

// countingInspector counts inspections.
type countingInspector struct {
	Inspector
	n atomic.Int32
}

func (c *countingInspector) Inspect(now time.Time) *inspect.Report {
	c.n.Add(1)
	return c.Inspector.Inspect(now)
}

// TestOneFileReportPerScrape: the file source and the probes' comparison
// with the files read one report per scrape.
func TestOneFileReportPerScrape(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.CA(t, "Scrape CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	leaf := testcerts.WriteEntry(t, dir, "db", ca, testcerts.Options{DNSNames: []string{"db"}}, 0o600)
	addr := testpeer.Start(t, testpeer.TLSAfterS(serverTLS(leaf.Issued))).Addr
	cfg, err := config.Parse(fmt.Appendf(nil, `
ca: {cert: ca.crt}
certificates: [{name: db, cert: db.crt, key: db.key, expected_names: [db]}]
targets: [{name: db, address: %q, server_name: db, certificate: db}]
`, addr), dir)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	in := &countingInspector{Inspector: inspect.New(cfg, 1)}
	exporter := NewExporter(quiet, NewFiles(in, rules.PolicyOf(cfg), quiet), NewProbes(targets.New(cfg), in, rules.PolicyOf(cfg), quiet))
	for scrapes := int32(1); scrapes <= 2; scrapes++ {
		if err := testutil.CollectAndCompare(exporter, strings.NewReader(`# HELP pgtls_probe_cert_matches_file Whether the served leaf equals the certificate file (0: reload pending or failed).
# TYPE pgtls_probe_cert_matches_file gauge
pgtls_probe_cert_matches_file{name="db",target="db"} 1
`), "pgtls_probe_cert_matches_file"); err != nil {
			t.Fatal(err)
		}
		if got := in.n.Load(); got != scrapes {
			t.Fatalf("%d inspections after %d scrapes", got, scrapes)
		}
	}
}

// TestWriteProbeEqualsGathered: what /probe writes without a registry is
// what a registry gathers from ProbeMetrics, for a failed probe and a
// served certificate with problems.
func TestWriteProbeEqualsGathered(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.CA(t, "WriteProbe CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	testcerts.WriteEntry(t, dir, "db", ca, testcerts.Options{DNSNames: []string{"db"}}, 0o600)
	served := testcerts.Issue(t, ca, testcerts.Options{DNSNames: []string{"other"}, NotAfter: time.Now().Add(72 * time.Hour)})
	addr := testpeer.Start(t, testpeer.TLSAfterS(serverTLS(served))).Addr
	cfg, err := config.Parse(fmt.Appendf(nil, `
ca: {cert: ca.crt}
certificates: [{name: db, cert: db.crt, expected_names: [db]}]
targets:
  - {name: db, address: %q, server_name: db, certificate: db}
  - {name: closed, address: "127.0.0.1:%d"}
`, addr, testenv.PortT(t)), dir)
	if err != nil {
		t.Fatal(err)
	}
	in, prober, th := inspect.New(cfg, 1), targets.New(cfg), rules.PolicyOf(cfg)
	for _, tg := range cfg.Targets {
		now := time.Now()
		r := prober.Probe(context.Background(), tg, in.Inspect(now))
		var written bytes.Buffer
		if err := WriteProbe(&written, tg.Name, r, th, now); err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(constCollector(ProbeMetrics(tg.Name, r, th, now)))
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var gathered bytes.Buffer
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&gathered, mf); err != nil {
				t.Fatal(err)
			}
		}
		got, want := samples(t, written.Bytes()), samples(t, gathered.Bytes())
		if !slices.Equal(got, want) || len(want) < 3 {
			t.Fatalf("target %s: written\n%s\ngathered\n%s", tg.Name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// constCollector collects a fixed list of metrics.
type constCollector []prometheus.Metric

func (c constCollector) Describe(chan<- *prometheus.Desc) {}

func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// warmingInspector is an inspector whose first inspection is still under
// way: InspectOrSnapshot has nothing ready yet.
type warmingInspector struct{ Inspector }

func (w warmingInspector) InspectOrSnapshot(now time.Time) (*inspect.Report, bool) {
	return &inspect.Report{Time: now}, false
}

// TestProbesWaitForTheFiles: during the start-up inspection the file
// source answers with what is ready, while the probes, which compare what
// is served with the files, wait for the files.
func TestProbesWaitForTheFiles(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.CA(t, "Warming CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	leaf := testcerts.WriteEntry(t, dir, "db", ca, testcerts.Options{DNSNames: []string{"db"}}, 0o600)
	addr := testpeer.Start(t, testpeer.TLSAfterS(serverTLS(leaf.Issued))).Addr
	cfg, err := config.Parse(fmt.Appendf(nil, `
ca: {cert: ca.crt}
certificates: [{name: db, cert: db.crt, expected_names: [db]}]
targets: [{name: db, address: %q, server_name: db, certificate: db}]
`, addr), dir)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	in := warmingInspector{inspect.New(cfg, 1)}
	exporter := NewExporter(quiet, NewFiles(in, rules.PolicyOf(cfg), quiet), NewProbes(targets.New(cfg), in, rules.PolicyOf(cfg), quiet))
	// Whether the file source got the snapshot or, after the probes, the
	// whole report depends on which ran first; the probes always compare.
	want := `# HELP pgtls_probe_cert_matches_file Whether the served leaf equals the certificate file (0: reload pending or failed).
# TYPE pgtls_probe_cert_matches_file gauge
pgtls_probe_cert_matches_file{name="db",target="db"} 1
`
	if err := testutil.CollectAndCompare(exporter, strings.NewReader(want), "pgtls_probe_cert_matches_file"); err != nil {
		t.Fatal(err)
	}
}
