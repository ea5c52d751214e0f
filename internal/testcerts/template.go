package testcerts

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"

	"testing"

	"github.com/magflow/pgtls_exporter/internal/issue"
)

// Shape adjusts a certificate template before it is signed: key usages,
// name constraints, names, signature algorithm, anything crypto/x509 can
// write. Issue does not offer these, which a server certificate of renew
// never has.
type Shape func(*x509.Certificate)

// IssueShaped issues a certificate like Issue, with shape applied to its
// template; key is its key (nil: a fresh ECDSA P-256 key).
func IssueShaped(tb testing.TB, parent *Issued, commonName string, key crypto.Signer, shape Shape) *Issued {
	tb.Helper()
	if key == nil {
		key = NewKey(tb, ECDSAP256)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: commonName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true}
	if shape != nil {
		shape(tmpl)
	}
	parentCert, signer := tmpl, key
	if parent != nil {
		parentCert, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), signer)
	if err != nil {
		tb.Fatalf("issue %q: %v", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("parse %q: %v", commonName, err)
	}
	return &Issued{Cert: cert, Key: key, CertPEM: issue.EncodeCertificate(cert), KeyPEM: EncodeKey(tb, key, PKCS8)}
}

// WeakRSAKey is a 1024-bit RSA key, below OpenSSL's security level 2.
func WeakRSAKey(tb testing.TB) crypto.Signer {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		tb.Fatal(err)
	}
	return key
}
