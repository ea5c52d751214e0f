package certs

import (
	"crypto/x509"
	"github.com/magflow/pgtls_exporter/internal/libpq"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// openssl runs the openssl command; it skips (fails with CI=true) without it.
func openssl(t *testing.T, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl is required")
		}
		t.Skip("openssl not installed")
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

// TestTrustedCertificatePEM: OpenSSL's TRUSTED CERTIFICATE form (the
// certificate followed by trust settings), which PostgreSQL serves, is read
// as the certificate it holds.
func TestTrustedCertificatePEM(t *testing.T) {
	ca := testcerts.CA(t, "Trust CA")
	leaf := testcerts.Issue(t, ca, testcerts.Options{CommonName: "db", DNSNames: []string{"db"}})
	dir := t.TempDir()
	in, out := testcerts.WriteFile(t, filepath.Join(dir, "db.crt"), leaf.CertPEM, 0o644), filepath.Join(dir, "trusted.crt")
	openssl(t, "x509", "-in", in, "-trustout", "-addtrust", "serverAuth", "-addreject", "emailProtection", "-setalias", "db server", "-out", out)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "-----BEGIN TRUSTED CERTIFICATE-----") {
		t.Fatalf("openssl wrote:\n%s", data)
	}
	chain := append(append([]byte{}, data...), ca.CertPEM...)
	b, err := ParseBundle(chain)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Certificates) != 2 || !b.Leaf().Equal(leaf.Cert) || !b.Certificates[1].Equal(ca.Cert) {
		t.Fatalf("got %d certificates, leaf %v", len(b.Certificates), b.Leaf().Subject)
	}
}

// TestMatchNameByCommonName follows libpq: the common name counts only when
// no SAN of the name's kind exists.
func TestMatchNameByCommonName(t *testing.T) {
	ca := testcerts.CA(t, "CN CA")
	cnOnly := testcerts.Issue(t, ca, testcerts.Options{CommonName: "db.example.com"}).Cert
	wildcard := testcerts.Issue(t, ca, testcerts.Options{CommonName: "*.example.com"}).Cert
	ipCN := testcerts.Issue(t, ca, testcerts.Options{CommonName: "10.0.0.5", DNSNames: []string{"db"}}).Cert
	withSAN := testcerts.Issue(t, ca, testcerts.Options{CommonName: "other", DNSNames: []string{"db"}}).Cert
	withIP := testcerts.Issue(t, ca, testcerts.Options{CommonName: "10.0.0.5", IPAddresses: []net.IP{net.IPv4(10, 0, 0, 6)}}).Cert
	tests := []struct {
		cert *x509.Certificate
		name string
		want bool
	}{
		{cnOnly, "db.example.com", true},
		{cnOnly, "DB.Example.com", true},
		{cnOnly, "other.example.com", false},
		{wildcard, "db.example.com", true},
		{wildcard, "a.b.example.com", false},
		{wildcard, ".example.com", false},
		{ipCN, "10.0.0.5", true},    // an IP name: only IP SANs stop the fallback
		{ipCN, "db", false},         // covered by the SAN, not by the common name
		{withSAN, "other", false},   // a DNS SAN exists: the common name is ignored
		{withIP, "10.0.0.5", false}, // an IP SAN exists
	}
	for _, tc := range tests {
		if got := MatchName(tc.cert, tc.name) == libpq.MatchCommonName; got != tc.want {
			t.Errorf("%s for %s: %v, want %v", tc.cert.Subject.CommonName, tc.name, got, tc.want)
		}
	}
}
