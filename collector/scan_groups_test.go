package collector

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/scans"
	"github.com/magflow/pgtls_exporter/internal/tlsscan"
)

// TestScanGroupAndClientCertSeries: every accepted group is a series of
// value 1, and whether the server asked for a client certificate is 0 or
// 1, or no series when the scan could not learn it.
func TestScanGroupAndClientCertSeries(t *testing.T) {
	groups := tlsscan.Groups()
	reports := []scans.Report{
		{Target: config.Target{Name: "db"}, Result: &tlsscan.Result{Groups: []tlsscan.Group{groups[1], groups[5]}, RequestsClientCert: true}},
		{Target: config.Target{Name: "bouncer"}, Result: &tlsscan.Result{Groups: groups[:1]}},
		{Target: config.Target{Name: "odd"}, Result: &tlsscan.Result{ClientCertUnknown: "the handshake failed"}},
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(nil, scanReports{reports}))
	want := `# HELP pgtls_scan_client_cert_requested Whether the target asked for a client certificate in the last TLS scan's full handshake (1) or not (0); absent when that could not be learned.
# TYPE pgtls_scan_client_cert_requested gauge
pgtls_scan_client_cert_requested{target="bouncer"} 0
pgtls_scan_client_cert_requested{target="db"} 1
# HELP pgtls_scan_group_accepted A key exchange group (IANA name) the target accepted in the last TLS scan (value 1).
# TYPE pgtls_scan_group_accepted gauge
pgtls_scan_group_accepted{group="ffdhe2048",target="db"} 1
pgtls_scan_group_accepted{group="secp256r1",target="db"} 1
pgtls_scan_group_accepted{group="x25519",target="bouncer"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pgtls_scan_group_accepted", "pgtls_scan_client_cert_requested"); err != nil {
		t.Error(err)
	}
}
