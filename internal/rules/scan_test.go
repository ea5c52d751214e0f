package rules

import (
	"errors"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/ciphers"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/scans"
	"github.com/magflow/pgtls_exporter/internal/tlsscan"
)

// TestScanFindings: what a scan observed decides, with exact texts.
func TestScanFindings(t *testing.T) {
	v := tlsscan.Versions()
	suite := func(id uint16) ciphers.Suite {
		s, ok := ciphers.ByID(id)
		if !ok {
			t.Fatalf("no suite 0x%04x", id)
		}
		return s
	}
	weak := &tlsscan.Result{Versions: []tlsscan.VersionResult{
		{Version: v[0]},
		{Version: v[1], Accepted: true, Suites: []ciphers.Suite{suite(0xC013)}},
		{Version: v[3], Accepted: true, Suites: []ciphers.Suite{suite(0x000A), suite(0xC02F)}},
	}}
	target := config.Target{Name: "db", Address: "db:5432"}
	got := ScanFindings(scans.Report{Target: target, Result: weak, At: time.Now()}, DefaultPolicy())
	want := []Finding{
		{Source: SourceScans, Entry: "db", Check: CheckScan, Status: OK, Path: "db:5432", Detail: "accepts TLSv1: 1 suite; TLSv1.2: 2 suites"},
		{Source: SourceScans, Entry: "db", Check: CheckScan, Code: OldTLSAccepted, Status: Critical, Path: "db:5432", Detail: "completed a hello for TLSv1, older than TLSv1.2"},
		{Source: SourceScans, Entry: "db", Check: CheckScan, Code: WeakCipherAccepted, Status: Critical, Path: "db:5432", Detail: "accepts 1 weak suite: TLS_RSA_WITH_3DES_EDE_CBC_SHA (3DES; TLSv1.2)"},
		{Source: SourceScans, Entry: "db", Check: CheckScan, Code: NoForwardSecrecyAccepted, Status: Warning, Path: "db:5432", Detail: "accepts 1 suite without forward secrecy: TLSv1.2 TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	lax := DefaultPolicy()
	lax.ForwardSecrecy = false
	for _, f := range ScanFindings(scans.Report{Target: target, Result: weak, At: time.Now()}, lax) {
		if f.Code == NoForwardSecrecyAccepted {
			t.Errorf("audit.policy.forward_secrecy: false still gives %+v", f)
		}
	}
	failed := ScanFindings(scans.Report{Target: target, Err: errors.New("scan db:5432: SSLRequest: EOF")}, DefaultPolicy())
	if len(failed) != 1 || failed[0].Code != ScanFailed || failed[0].Status != Unknown || failed[0].Detail != "scan db:5432: SSLRequest: EOF" {
		t.Errorf("failed scan: %+v", failed)
	}
	if none := ScanFindings(scans.Report{Target: target}, DefaultPolicy()); len(none) != 0 {
		t.Errorf("not scanned yet: %+v", none)
	}
}
