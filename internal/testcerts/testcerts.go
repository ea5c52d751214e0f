// Package testcerts issues certificate authorities, server certificates and
// keys for tests and benchmarks, on top of package issue. Every failure is a
// test failure, reported through testing.TB.
package testcerts

import (
	"crypto"
	"crypto/x509"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/issue"
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
type KeyFormat = issue.KeyFormat

// The supported key encodings.
const (
	PKCS8 = issue.PKCS8 // "PRIVATE KEY"
	PKCS1 = issue.PKCS1 // "RSA PRIVATE KEY" (RSA only)
	SEC1  = issue.SEC1  // "EC PRIVATE KEY" (ECDSA only)
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
	key, err := issue.GenerateKey(map[KeyType]issue.KeyType{
		ECDSAP256: issue.ECDSAP256, RSA2048: issue.RSA2048, Ed25519: issue.Ed25519}[kt])
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
	req := issue.Request{
		CommonName: opts.CommonName, DNSNames: opts.DNSNames, IPAddresses: opts.IPAddresses,
		NotBefore: opts.NotBefore, NotAfter: opts.NotAfter, IsCA: opts.IsCA,
		ExtKeyUsage: opts.ExtKeyUsage, Public: key.Public(),
	}
	if opts.Serial != 0 {
		req.Serial = big.NewInt(opts.Serial)
	}
	if req.NotBefore.IsZero() {
		req.NotBefore = time.Now().Add(-time.Hour)
	}
	if req.NotAfter.IsZero() {
		req.NotAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	var parentCert *x509.Certificate
	signer := key
	if parent != nil {
		parentCert, signer = parent.Cert, parent.Key
	}
	cert, err := issue.Sign(req, parentCert, signer)
	if err != nil {
		tb.Fatalf("issue %q: %v", opts.CommonName, err)
	}
	return &Issued{Cert: cert, Key: key, CertPEM: issue.EncodeCertificate(cert), KeyPEM: EncodeKey(tb, key, opts.KeyFormat)}
}

// EncodeKey encodes a private key as PEM in the requested format.
func EncodeKey(tb testing.TB, key crypto.Signer, format KeyFormat) []byte {
	tb.Helper()
	out, err := issue.EncodeKey(key, format)
	if err != nil {
		tb.Fatalf("encode key: %v", err)
	}
	return out
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
