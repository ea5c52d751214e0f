// Package testcerts issues certificate authorities, server certificates and
// keys for tests and benchmarks. It is test support code: every failure is a
// test failure, reported through testing.TB.
package testcerts

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// KeyType selects the private key algorithm of an issued certificate.
type KeyType int

// The supported key types.
const (
	ECDSAP256 KeyType = iota
	RSA2048
	Ed25519
)

// KeyFormat selects how a private key is encoded in PEM.
type KeyFormat int

// The supported key encodings.
const (
	PKCS8 KeyFormat = iota // "PRIVATE KEY"
	PKCS1                  // "RSA PRIVATE KEY" (RSA only)
	SEC1                   // "EC PRIVATE KEY" (ECDSA only)
)

// Options describe one certificate to issue.
type Options struct {
	CommonName  string
	DNSNames    []string
	IPAddresses []net.IP
	NotBefore   time.Time // zero: one hour ago
	NotAfter    time.Time // zero: one year from now
	IsCA        bool
	Serial      int64 // zero: random
	KeyType     KeyType
	KeyFormat   KeyFormat
	// Key, when set, is used instead of generating a fresh key.
	Key crypto.Signer
	// ExtKeyUsage defaults to serverAuth for leaves and none for CAs.
	ExtKeyUsage []x509.ExtKeyUsage
}

// Issued is a certificate with its key in parsed and PEM form.
type Issued struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte
}

// NewKey generates a private key of the given type.
func NewKey(tb testing.TB, kt KeyType) crypto.Signer {
	tb.Helper()
	var (
		key crypto.Signer
		err error
	)
	switch kt {
	case RSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case Ed25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		tb.Fatalf("generate key: %v", err)
	}
	return key
}

// CA issues a self-signed certificate authority valid from an hour ago for ten years.
func CA(tb testing.TB, commonName string) *Issued {
	tb.Helper()
	return Issue(tb, nil, Options{CommonName: commonName, IsCA: true,
		NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour)})
}

// Issue creates a certificate signed by parent, or self-signed when parent is nil.
func Issue(tb testing.TB, parent *Issued, opts Options) *Issued {
	tb.Helper()
	key := opts.Key
	if key == nil {
		key = NewKey(tb, opts.KeyType)
	}
	serial := big.NewInt(opts.Serial)
	if opts.Serial == 0 {
		var err error
		serial, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 100))
		if err != nil {
			tb.Fatalf("serial: %v", err)
		}
	}
	notBefore, notAfter := opts.NotBefore, opts.NotAfter
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: opts.CommonName},
		DNSNames:              opts.DNSNames,
		IPAddresses:           opts.IPAddresses,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		IsCA:                  opts.IsCA,
		ExtKeyUsage:           opts.ExtKeyUsage,
	}
	if opts.IsCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		if tmpl.ExtKeyUsage == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
	}
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		tb.Fatalf("create certificate %q: %v", opts.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("parse certificate %q: %v", opts.CommonName, err)
	}
	return &Issued{
		Cert:    cert,
		Key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  EncodeKey(tb, key, opts.KeyFormat),
	}
}

// EncodeKey encodes a private key as PEM in the requested format.
func EncodeKey(tb testing.TB, key crypto.Signer, format KeyFormat) []byte {
	tb.Helper()
	switch format {
	case PKCS1:
		rsaKey, ok := key.(*rsa.PrivateKey)
		if !ok {
			tb.Fatalf("PKCS#1 needs an RSA key, got %T", key)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	case SEC1:
		ecKey, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			tb.Fatalf("SEC1 needs an ECDSA key, got %T", key)
		}
		der, err := x509.MarshalECPrivateKey(ecKey)
		if err != nil {
			tb.Fatalf("marshal EC key: %v", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	default:
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			tb.Fatalf("marshal PKCS#8 key: %v", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
}

// Combined returns the certificate followed by its key, as in a combined PEM.
func (i *Issued) Combined() []byte {
	out := append([]byte{}, i.CertPEM...)
	return append(out, i.KeyPEM...)
}

// WriteFile writes data to path with mode, creating parent folders, and
// returns path.
func WriteFile(tb testing.TB, path string, data []byte, mode os.FileMode) string {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatalf("mkdir for %s: %v", path, err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		tb.Fatalf("write %s: %v", path, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		tb.Fatalf("chmod %s: %v", path, err)
	}
	return path
}
