package collector

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/scans"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testpeer"
)

// TestScansScheduleAndClose: the scans source scans on its own at start,
// a scrape reads the last result, and Close stops the schedule.
func TestScansScheduleAndClose(t *testing.T) {
	ca := testcerts.CA(t, "Scan CA")
	addr := testpeer.Start(t, testpeer.TLSAfterS(serverTLS(testcerts.Issue(t, ca, testcerts.Options{DNSNames: []string{"db"}})))).Addr
	cfg, err := config.Parse([]byte(fmt.Sprintf("targets: [{name: db, address: %q, server_name: db}]\n", addr)), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	scanner := scans.New(cfg)
	src := NewScans(scanner, rules.PolicyOf(cfg))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for scanner.Last()[0].Result == nil {
		select {
		case <-ctx.Done():
			t.Fatal("the first scan did not come")
		case <-time.After(20 * time.Millisecond):
		}
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(nil, src))
	want := `# HELP pgtls_scan_version_accepted Whether the last TLS scan found the target completing a hello for the protocol version (1) or refusing it (0).
# TYPE pgtls_scan_version_accepted gauge
pgtls_scan_version_accepted{target="db",version="SSLv3"} 0
pgtls_scan_version_accepted{target="db",version="TLSv1"} 0
pgtls_scan_version_accepted{target="db",version="TLSv1.1"} 0
pgtls_scan_version_accepted{target="db",version="TLSv1.2"} 1
pgtls_scan_version_accepted{target="db",version="TLSv1.3"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pgtls_scan_version_accepted"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "pgtls_scan_cipher_accepted"); n < 4 {
		t.Errorf("%d pgtls_scan_cipher_accepted series, want the server's suites", n)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
}
