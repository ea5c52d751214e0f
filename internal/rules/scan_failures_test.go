package rules

import (
	"context"
	"crypto/tls"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/scans"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testpeer"
)

// TestScanFailedFindings: targets whose scan cannot be made, scanned on
// the schedule's path (scans.Scanner), each give one scan_failed finding
// whose detail is the reason: a server that drops connections mid-scan,
// one that never answers (the target's timeout ends the scan) and one that
// is not PostgreSQL. No goroutine outlives the scans and the servers.
func TestScanFailedFindings(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) }) // runs after the servers' cleanups
	ca := testcerts.CA(t, "Scan CA")
	leaf := testcerts.Issue(t, ca, testcerts.Options{DNSNames: []string{"db"}})
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}}}
	drop := testpeer.Start(t, testpeer.DropAfter(5, testpeer.TLSAfterS(cfg))).Addr
	silent := testpeer.Start(t, testpeer.Silent).Addr
	http := testpeer.Start(t, testpeer.Answer([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false)).Addr
	conf, err := config.Parse(fmt.Appendf(nil, `targets:
  - {name: drop, address: %q, server_name: db}
  - {name: silent, address: %q, timeout: 300ms}
  - {name: http, address: %q}
`, drop, silent, http), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"scan " + drop + ": connection 6 (TLSv1.2 hello): waiting for the answer to the SSLRequest: the server closed the connection",
		"scan " + silent + ": connection 1 (SSLv3 hello): waiting for the answer to the SSLRequest: no answer within 300ms: context deadline exceeded",
		"scan " + http + ": connection 1 (SSLv3 hello): unexpected reply to SSLRequest: byte 0x48 ('H'), expected 'S' or 'N' (is this a PostgreSQL or PgBouncer server?)",
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, r := range scans.New(conf).ScanAll(ctx) {
		got := ScanFindings(r, PolicyOf(conf))
		if len(got) != 1 || got[0].Code != ScanFailed || got[0].Status != Unknown || got[0].Detail != want[i] || got[0].Path != r.Target.Address {
			t.Errorf("%s: findings %+v\nwant one %s finding: %s", r.Target.Name, got, ScanFailed, want[i])
		}
	}
}
