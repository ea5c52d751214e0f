package issue

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/magflow/pgtls_exporter/internal/pemcert"
	"github.com/magflow/pgtls_exporter/internal/rules/defaults"
)

// Default lifetimes, as the reference set-up recommends.
const (
	DefaultCAValidity     = defaults.CAValidity
	DefaultServerValidity = defaults.ServerValidity
)

// backdate is how far before "now" a new certificate becomes valid, so that
// a peer whose clock is slightly behind accepts it.
const backdate = 5 * time.Minute

// NewCA creates a self-signed certificate authority with a fresh key of
// type kt, valid from shortly before now for validity (DefaultCAValidity
// when zero).
func NewCA(commonName string, kt KeyType, now time.Time, validity time.Duration) (*x509.Certificate, crypto.Signer, error) {
	if commonName == "" {
		return nil, nil, errors.New("new CA: common name is empty")
	}
	if validity <= 0 {
		validity = DefaultCAValidity
	}
	key, err := GenerateKey(kt)
	if err != nil {
		return nil, nil, fmt.Errorf("new CA %q: %w", commonName, err)
	}
	cert, err := Sign(Request{CommonName: commonName, IsCA: true, Public: key.Public(),
		NotBefore: now.Add(-backdate), NotAfter: now.Add(validity)}, nil, key)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// ServerRequest describes a server certificate.
type ServerRequest struct {
	// CommonName is informational; clients check Names (the SANs).
	CommonName string
	// Names are DNS names and IP addresses, all written into the SANs.
	Names []string
	// KeyType of the new key (ecdsa-p256 when empty).
	KeyType KeyType
	// Validity is the lifetime (DefaultServerValidity when zero); the
	// certificate never outlives its CA.
	Validity time.Duration
}

// NewServerCertificate issues a server certificate (serverAuth, random
// serial, fresh key) signed by ca with caKey. It refuses an issuer that is
// not a CA, is not valid now, or whose key is not caKey, and caps the
// lifetime at the CA's own expiry.
func NewServerCertificate(req ServerRequest, ca *x509.Certificate, caKey crypto.Signer, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	if err := CheckCA(ca, caKey, now); err != nil {
		return nil, nil, err
	}
	if len(req.Names) == 0 {
		return nil, nil, fmt.Errorf("server certificate %q: no names for the SANs", req.CommonName)
	}
	validity := req.Validity
	if validity <= 0 {
		validity = DefaultServerValidity
	}
	notAfter := now.Add(validity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	notBefore := now.Add(-backdate)
	if notBefore.Before(ca.NotBefore) {
		notBefore = ca.NotBefore
	}
	key, err := GenerateKey(req.KeyType)
	if err != nil {
		return nil, nil, fmt.Errorf("server certificate %q: %w", req.CommonName, err)
	}
	dns, ips := SplitNames(req.Names)
	cert, err := Sign(Request{CommonName: req.CommonName, DNSNames: dns, IPAddresses: ips,
		NotBefore: notBefore, NotAfter: notAfter, Public: key.Public()}, ca, caKey)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// CheckCA reports why ca cannot sign with key at now: it is not a CA, is
// expired or not yet valid, or key is not its key.
func CheckCA(ca *x509.Certificate, key crypto.Signer, now time.Time) error {
	switch {
	case ca == nil:
		return errors.New("no CA certificate")
	case !ca.IsCA || !ca.BasicConstraintsValid:
		return fmt.Errorf("issuer %q is not a CA", ca.Subject.CommonName)
	case ca.KeyUsage != 0 && ca.KeyUsage&x509.KeyUsageCertSign == 0:
		return fmt.Errorf("CA %q may not sign certificates (no keyCertSign usage)", ca.Subject.CommonName)
	case now.After(ca.NotAfter):
		return fmt.Errorf("CA %q expired at %s", ca.Subject.CommonName, ca.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(ca.NotBefore):
		return fmt.Errorf("CA %q is not valid before %s", ca.Subject.CommonName, ca.NotBefore.UTC().Format(time.RFC3339))
	case key == nil:
		return fmt.Errorf("no key for CA %q", ca.Subject.CommonName)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(ca.PublicKey) {
		return fmt.Errorf("the CA key does not belong to CA certificate %q", ca.Subject.CommonName)
	}
	return nil
}

// ParseCertificate decodes the first CERTIFICATE PEM block in data, or data
// as DER.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if pemcert.IsCertificate(block.Type) {
			return pemcert.Parse(block)
		}
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, errors.New("no certificate (neither a CERTIFICATE PEM block nor DER)")
	}
	return c, nil
}
