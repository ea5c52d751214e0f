package issue

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"github.com/magflow/pgtls_exporter/internal/keytype"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
)

var now = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

func mustCA(t *testing.T, validity time.Duration) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	ca, key, err := NewCA("Test CA", ECDSAP256, now, validity)
	if err != nil {
		t.Fatal(err)
	}
	return ca, key
}

func describe(key crypto.Signer) string {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return "ecdsa " + k.Curve.Params().Name
	case *rsa.PrivateKey:
		return fmt.Sprintf("rsa %d", k.N.BitLen())
	case ed25519.PrivateKey:
		return "ed25519"
	}
	return fmt.Sprintf("%T", key)
}

func TestKeyTypes(t *testing.T) {
	tests := []struct {
		kt   KeyType
		want string
	}{
		{ECDSAP256, "ecdsa P-256"}, {"", "ecdsa P-256"}, {RSA2048, "rsa 2048"}, {RSA3072, "rsa 3072"},
		{RSA4096, "rsa 4096"}, {Ed25519, "ed25519"},
	}
	ca, caKey := mustCA(t, 0)
	for _, tc := range tests {
		t.Run(string(tc.kt), func(t *testing.T) {
			if tc.kt == RSA4096 && testing.Short() {
				t.Skip("RSA 4096 takes seconds")
			}
			cert, key, err := NewServerCertificate(ServerRequest{CommonName: "db", Names: []string{"db"}, KeyType: tc.kt}, ca, caKey, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(key); got != tc.want {
				t.Fatalf("key %s, want %s", got, tc.want)
			}
			if !cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
				t.Fatal("certificate does not carry the new key")
			}
			_, isRSA := key.(*rsa.PrivateKey)
			if got := cert.KeyUsage&x509.KeyUsageKeyEncipherment != 0; got != isRSA {
				t.Errorf("keyEncipherment = %v for %s", got, tc.want)
			}
			for _, f := range []KeyFormat{PKCS8, PKCS1, SEC1} {
				pemBytes, err := EncodeKey(key, f)
				if err != nil {
					continue // PKCS#1 needs RSA, SEC1 needs ECDSA
				}
				back, err := certs.ParsePrivateKey(pemBytes)
				if err != nil {
					t.Fatalf("format %d: %v", f, err)
				}
				if !back.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
					t.Fatalf("format %d: round trip changed the key", f)
				}
			}
		})
	}
	if _, err := GenerateKey("dsa-1024"); err == nil || err.Error() != `unknown key type "dsa-1024"` {
		t.Fatalf("unknown type: %v", err)
	}
	for _, kt := range keytype.All() {
		if !kt.Valid() {
			t.Errorf("%s not valid", kt)
		}
	}
	if keytype.KeyType("rsa-1024").Valid() || keytype.KeyType("").Valid() {
		t.Error("invalid key type accepted")
	}
}

func TestServerCertificateSANsAndUsage(t *testing.T) {
	ca, caKey := mustCA(t, 0)
	cert, _, err := NewServerCertificate(ServerRequest{CommonName: "postgres",
		Names: []string{"postgres", "db", "localhost", "127.0.0.1", "::1"}}, ca, caKey, now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cert.DNSNames, []string{"postgres", "db", "localhost"}) {
		t.Errorf("DNS SANs %v", cert.DNSNames)
	}
	if len(cert.IPAddresses) != 2 || !cert.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) || !cert.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("IP SANs %v", cert.IPAddresses)
	}
	if cert.Subject.CommonName != "postgres" || cert.IsCA || !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("subject %q, isCA %v, EKU %v", cert.Subject.CommonName, cert.IsCA, cert.ExtKeyUsage)
	}
	if !cert.NotAfter.Equal(now.Add(DefaultServerValidity)) || !cert.NotBefore.Before(now) {
		t.Errorf("validity %s .. %s", cert.NotBefore, cert.NotAfter)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, name := range []string{"postgres", "db", "localhost", "127.0.0.1"} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: now}); err != nil {
			t.Errorf("verify-full as %s: %v", name, err)
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "replica", CurrentTime: now}); err == nil {
		t.Error("verified for a name not in the SANs")
	}
	if _, _, err := NewServerCertificate(ServerRequest{CommonName: "x"}, ca, caKey, now); err == nil ||
		err.Error() != `server certificate "x": no names for the SANs` {
		t.Errorf("no names: %v", err)
	}
}

func TestSerialsAreRandom(t *testing.T) {
	ca, caKey := mustCA(t, 0)
	seen := map[string]bool{ca.SerialNumber.String(): true}
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	wide := 0
	for range 50 {
		cert, _, err := NewServerCertificate(ServerRequest{CommonName: "db", Names: []string{"db"}}, ca, caKey, now)
		if err != nil {
			t.Fatal(err)
		}
		s := cert.SerialNumber
		if s.Sign() <= 0 || s.Cmp(limit) >= 0 {
			t.Fatalf("serial %s out of range", s)
		}
		if seen[s.String()] {
			t.Fatalf("serial %s repeated", s)
		}
		seen[s.String()] = true
		if s.BitLen() > 64 {
			wide++
		}
	}
	// 128 random bits: a serial of 64 bits or fewer has odds 2^-64.
	if wide != 50 {
		t.Fatalf("%d of 50 serials are wider than 64 bits", wide)
	}
}

func TestNeverOutlivesTheCA(t *testing.T) {
	ca, caKey := mustCA(t, 90*24*time.Hour)
	cert, _, err := NewServerCertificate(ServerRequest{CommonName: "db", Names: []string{"db"}, Validity: 365 * 24 * time.Hour}, ca, caKey, now)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.NotAfter.Equal(ca.NotAfter) {
		t.Fatalf("NotAfter %s, CA NotAfter %s", cert.NotAfter, ca.NotAfter)
	}
	if cert.NotBefore.Before(ca.NotBefore) {
		t.Fatalf("NotBefore %s before the CA's %s", cert.NotBefore, ca.NotBefore)
	}
	short, _, err := NewServerCertificate(ServerRequest{CommonName: "db", Names: []string{"db"}, Validity: 24 * time.Hour}, ca, caKey, now)
	if err != nil || !short.NotAfter.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("a shorter validity is kept: %v %v", short.NotAfter, err)
	}
}

func TestNewCA(t *testing.T) {
	ca, key := mustCA(t, 0)
	if !ca.IsCA || !ca.BasicConstraintsValid || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Fatalf("not a CA: isCA %v usage %v", ca.IsCA, ca.KeyUsage)
	}
	if !ca.NotAfter.Equal(now.Add(DefaultCAValidity)) {
		t.Fatalf("CA NotAfter %s", ca.NotAfter)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	if err := CheckCA(ca, key, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := NewCA("", ECDSAP256, now, 0); err == nil {
		t.Fatal("a CA without a name was made")
	}
}

func TestIssuerRefused(t *testing.T) {
	ca, caKey := mustCA(t, 365*24*time.Hour)
	otherCA, otherKey := mustCA(t, 0)
	leaf, leafKey, err := NewServerCertificate(ServerRequest{CommonName: "db", Names: []string{"db"}}, ca, caKey, now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		issuer *x509.Certificate
		key    crypto.Signer
		at     time.Time
		want   string
	}{
		{"not a CA", leaf, leafKey, now, `issuer "db" is not a CA`},
		{"expired CA", ca, caKey, now.Add(366 * 24 * time.Hour), `CA "Test CA" expired at 2031-06-01T12:00:00Z`},
		{"CA not yet valid", ca, caKey, now.Add(-time.Hour), `CA "Test CA" is not valid before 2030-06-01T11:55:00Z`},
		{"key of another CA", ca, otherKey, now, `the CA key does not belong to CA certificate "Test CA"`},
		{"no key", otherCA, nil, now, `no key for CA "Test CA"`},
		{"no CA", nil, caKey, now, "no CA certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := NewServerCertificate(ServerRequest{CommonName: "db", Names: []string{"db"}}, tc.issuer, tc.key, tc.at)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseKeyAndCertificate(t *testing.T) {
	ca, caKey := mustCA(t, 0)
	keyPEM, err := EncodeKey(caKey, SEC1)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := EncodeCertificate(ca)
	combined := append(append([]byte{}, certPEM...), keyPEM...)
	if k, err := certs.ParsePrivateKey(combined); err != nil || !k.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(caKey.Public()) {
		t.Fatalf("key after a certificate: %v", err)
	}
	if c, err := ParseCertificate(combined); err != nil || !c.Equal(ca) {
		t.Fatalf("certificate from combined PEM: %v", err)
	}
	if c, err := ParseCertificate(ca.Raw); err != nil || !c.Equal(ca) {
		t.Fatalf("certificate from DER: %v", err)
	}
	if _, err := ParseCertificate(keyPEM); err == nil {
		t.Error("a key parsed as a certificate")
	}
}

func TestSplitNames(t *testing.T) {
	dns, ips := SplitNames([]string{"db", "10.0.0.1", "*.example.com", "fe80::1"})
	if !slices.Equal(dns, []string{"db", "*.example.com"}) || len(ips) != 2 || ips[0].String() != "10.0.0.1" || ips[1].String() != "fe80::1" {
		t.Fatalf("dns %v ips %v", dns, ips)
	}
}
