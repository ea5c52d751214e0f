package tlsscan_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testpeer"
	"github.com/magflow/pgtls_exporter/internal/tlsscan"
)

// badServers are servers a scan cannot finish with, and the reason the
// scan must give for each, "%s" standing for the address. A scan allows
// each connection timeout.
func badServers(t *testing.T) []struct {
	name    string
	handle  func(net.Conn)
	timeout time.Duration
	reason  string
} {
	ca := testcerts.CA(t, "Scan CA")
	leaf := testcerts.Issue(t, ca, testcerts.Options{DNSNames: []string{"db"}})
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}}}
	return []struct {
		name    string
		handle  func(net.Conn)
		timeout time.Duration
		reason  string
	}{
		{"drops connections mid-scan", testpeer.DropAfter(5, testpeer.TLSAfterS(cfg)), time.Minute,
			"scan %s: connection 6 (TLSv1.2 hello): waiting for the answer to the SSLRequest: the server closed the connection"},
		{"never answers the SSLRequest", testpeer.Silent, 300 * time.Millisecond,
			"scan %s: connection 1 (SSLv3 hello): waiting for the answer to the SSLRequest: no answer within 300ms: context deadline exceeded"},
		{"never answers the hello", testpeer.Answer([]byte{'S'}, true), 300 * time.Millisecond,
			"scan %s: connection 1 (SSLv3 hello): waiting for the ServerHello: no answer within 300ms: context deadline exceeded"},
		{"is not PostgreSQL", testpeer.Answer([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false), time.Minute,
			"scan %s: connection 1 (SSLv3 hello): unexpected reply to SSLRequest: byte 0x48 ('H'), expected 'S' or 'N' (is this a PostgreSQL or PgBouncer server?)"},
	}
}

// TestScanFailureReasons: a server that drops connections in the middle of
// a scan, one that never answers and one that is not PostgreSQL each end
// the scan with an error that names the address, the connection, what the
// scan waited for and why it stopped; no goroutine outlives the scan and
// the servers.
func TestScanFailureReasons(t *testing.T) {
	for _, tc := range badServers(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) }) // runs after the server's cleanup
			peer := testpeer.Start(t, tc.handle)
			res, err := tlsscan.Scan(context.Background(), tlsscan.Options{Address: peer.Addr, ServerName: "db", Timeout: tc.timeout})
			if err == nil {
				t.Fatalf("scan succeeded: %+v", res)
			}
			if want := fmt.Sprintf(tc.reason, peer.Addr); err.Error() != want {
				t.Errorf("reason\n got %s\nwant %s", err, want)
			}
		})
	}
}

// TestScanEndsWithItsContext: without a timeout of its own, a scan of a
// server that never answers ends when its context does, and says so.
func TestScanEndsWithItsContext(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
	peer := testpeer.Start(t, testpeer.Silent)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := tlsscan.Scan(ctx, tlsscan.Options{Address: peer.Addr})
	want := fmt.Sprintf("scan %s: connection 1 (SSLv3 hello): waiting for the answer to the SSLRequest: context deadline exceeded", peer.Addr)
	if err == nil || err.Error() != want {
		t.Errorf("reason\n got %v\nwant %s", err, want)
	}
}
