// Package issue creates keys and X.509 certificates natively (crypto/x509):
// certificate authorities and server certificates, and their PEM encodings.
package issue

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
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/magflow/pgtls_exporter/internal/keytype"
)

// KeyType names a key algorithm (package keytype); GenerateKey makes
// keys of each.
type KeyType = keytype.KeyType

// The key types, by their names in the configuration.
const (
	ECDSAP256 = keytype.ECDSAP256
	RSA2048   = keytype.RSA2048
	RSA3072   = keytype.RSA3072
	RSA4096   = keytype.RSA4096
	Ed25519   = keytype.Ed25519
)

// GenerateKey creates a private key of type kt.
func GenerateKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case ECDSAP256, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case Ed25519:
		_, key, err := ed25519.GenerateKey(rand.Reader)
		return key, err
	}
	return nil, fmt.Errorf("unknown key type %q", kt)
}

// Request describes a certificate to sign.
type Request struct {
	CommonName  string
	DNSNames    []string
	IPAddresses []net.IP
	NotBefore   time.Time
	NotAfter    time.Time
	IsCA        bool
	// Serial is random (128 bits) when nil.
	Serial *big.Int
	// ExtKeyUsage defaults to serverAuth for leaves.
	ExtKeyUsage []x509.ExtKeyUsage
	// Public is the certified public key.
	Public crypto.PublicKey
}

// Sign issues the requested certificate, signed by parent's key, or
// self-signed by signerKey when parent is nil.
func Sign(req Request, parent *x509.Certificate, signerKey crypto.Signer) (*x509.Certificate, error) {
	serial := req.Serial
	if serial == nil {
		var err error
		if serial, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128)); err != nil {
			return nil, fmt.Errorf("random serial: %w", err)
		}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: req.CommonName},
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPAddresses,
		NotBefore:             req.NotBefore,
		NotAfter:              req.NotAfter,
		BasicConstraintsValid: true,
		IsCA:                  req.IsCA,
		ExtKeyUsage:           req.ExtKeyUsage,
	}
	if req.IsCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if _, isRSA := req.Public.(*rsa.PublicKey); isRSA {
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		if tmpl.ExtKeyUsage == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, req.Public, signerKey)
	if err != nil {
		return nil, fmt.Errorf("sign certificate %q: %w", req.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// SplitNames sorts names into DNS names and IP addresses.
func SplitNames(names []string) (dns []string, ips []net.IP) {
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, n)
		}
	}
	return dns, ips
}

// EncodeCertificate returns the certificate as a PEM block.
func EncodeCertificate(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// KeyFormat selects a private key PEM encoding.
type KeyFormat int

// Key encodings.
const (
	PKCS8 KeyFormat = iota // "PRIVATE KEY"
	PKCS1                  // "RSA PRIVATE KEY", RSA only
	SEC1                   // "EC PRIVATE KEY", ECDSA only
)

// EncodeKey returns the private key as a PEM block in the given format.
func EncodeKey(key crypto.Signer, format KeyFormat) ([]byte, error) {
	var block *pem.Block
	switch format {
	case PKCS1:
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PKCS#1 needs an RSA key, got %T", key)
		}
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case SEC1:
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("SEC1 needs an ECDSA key, got %T", key)
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("encode EC key: %w", err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	default:
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("encode PKCS#8 key: %w", err)
		}
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	return pem.EncodeToMemory(block), nil
}
