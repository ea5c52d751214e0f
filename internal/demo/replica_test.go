package main

import (
	"bytes"
	"crypto/x509"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/issue"
)

func TestReplicaNotice(t *testing.T) {
	switched := &x509.Certificate{SerialNumber: big.NewInt(0xabc123), DNSNames: []string{"replica", "replica-db"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotAfter: time.Date(2027, 12, 7, 14, 57, 38, 0, time.UTC)}
	want := "\n== The demo, not renew, rewrites certs/replica.crt and certs/replica.key now:\n" +
		"   switch reissued the replica under the new CA without its faults (serial abc123, SANs replica, replica-db, 127.0.0.1, expires 2027-12-07T14:57:38Z, key 0600);\n" +
		"   the demo signs it again with the new CA and its faults back (20 days left, 0644 key, no SAN replica-db),\n" +
		"   so that check and the alerts below still have findings to show\n"
	if got := replicaNotice(switched, 0o600); got != want {
		t.Fatalf("notice:\n%s\nwant\n%s", got, want)
	}
	rewritten := &x509.Certificate{SerialNumber: big.NewInt(0x0def), NotAfter: time.Date(2026, 12, 27, 14, 57, 39, 0, time.UTC)}
	if got, want := replicaRewritten(rewritten), "   certs/replica.crt is now serial 0def, expiring 2026-12-27T14:57:39Z: the one check reports below\n"; got != want {
		t.Fatalf("after:\n%q\nwant\n%q", got, want)
	}
}

// TestRefaultReplica: what the notice says is what was on disk before, and
// what it says after is what is on disk then.
func TestRefaultReplica(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, caKey, err := issue.NewCA("demo CA", issue.ECDSAP256, now, 24*time.Hour*365)
	if err != nil {
		t.Fatal(err)
	}
	caKeyPEM, err := issue.EncodeKey(caKey, issue.PKCS8)
	if err != nil {
		t.Fatal(err)
	}
	// As renew's switch step leaves them: no faults.
	switched, key, err := issue.NewServerCertificate(issue.ServerRequest{CommonName: "replica", Names: []string{"replica", "replica-db"}},
		ca, caKey, now)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := issue.EncodeKey(key, issue.PKCS8)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"ca/ca.crt": issue.EncodeCertificate(ca), "ca/ca.key": caKeyPEM,
		"replica.crt": issue.EncodeCertificate(switched), "replica.key": keyPEM} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	var out bytes.Buffer
	if err := refaultReplica(&out, dir, now); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "replica.crt"))
	if err != nil {
		t.Fatal(err)
	}
	faulty, err := issue.ParseCertificate(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := replicaNotice(switched, 0o600) + replicaRewritten(faulty); out.String() != want {
		t.Fatalf("output:\n%s\nwant\n%s", out.String(), want)
	}
	if certs.Serial(faulty) == certs.Serial(switched) || faulty.NotAfter.Sub(now) > 20*24*time.Hour {
		t.Fatalf("replica.crt not rewritten with 20 days: serial %s, not after %s", certs.Serial(faulty), faulty.NotAfter)
	}
	if err := faulty.CheckSignatureFrom(ca); err != nil {
		t.Fatalf("replica.crt not signed by the CA: %v", err)
	}
	info, err := os.Stat(filepath.Join(dir, "replica.key"))
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Fatalf("replica.key: %v, %v; want mode 0644", info, err)
	}
}
