package collector

import (
	"fmt"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/ciphers"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/scans"
	"github.com/magflow/pgtls_exporter/internal/tlsscan"
)

// BenchmarkScanMetrics: the series and findings of 100 scanned targets,
// each accepting TLS 1.2 and 1.3 with a stock PostgreSQL's 18 suites, as
// every scrape builds them from the last scans.
func BenchmarkScanMetrics(b *testing.B) {
	v := tlsscan.Versions()
	var tls12, tls13 []ciphers.Suite
	for _, s := range ciphers.All() {
		switch {
		case s.TLS13():
			tls13 = append(tls13, s)
		case s.Strength == "HIGH" && s.Level >= 2 && len(tls12) < 15:
			tls12 = append(tls12, s)
		}
	}
	res := &tlsscan.Result{Versions: []tlsscan.VersionResult{{Version: v[0]}, {Version: v[1]}, {Version: v[2]},
		{Version: v[3], Accepted: true, Suites: tls12}, {Version: v[4], Accepted: true, Suites: tls13}},
		Groups: []tlsscan.Group{{ID: 0x17, Name: "secp256r1"}}, RequestsClientCert: true, Duration: time.Second}
	reports := make([]scans.Report, 100)
	for i := range reports {
		reports[i] = scans.Report{Target: config.Target{Name: fmt.Sprintf("t%03d", i), Address: "db:5432"}, Result: res, At: time.Now(), LastSuccess: time.Now()}
	}
	policy := rules.DefaultPolicy()
	b.ReportAllocs()
	for b.Loop() {
		if len(ScanMetrics(reports, policy)) == 0 {
			b.Fatal("no series")
		}
	}
}
