package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
)

// ErrKeyUnsupported means a key's algorithm is one Go's crypto cannot use
// (Ed448, RSA-PSS, ...), though OpenSSL-based servers and libpq can: what
// depends on the key cannot be told.
var ErrKeyUnsupported = errors.New("key type not supported by pgtls_exporter (Go's crypto)")

// Public key algorithm OIDs Go's crypto/x509 and crypto/tls cannot use.
var unsupportedKeyOIDs = map[string]string{
	"1.3.101.113":           "Ed448",
	"1.3.101.111":           "X448",
	"1.3.101.110":           "X25519",
	"1.2.840.113549.1.1.10": "RSA-PSS",
	"1.2.840.10040.4.1":     "DSA",
	"1.2.156.10197.1.301":   "SM2",
	"1.2.643.7.1.1.1.1":     "GOST R 34.10-2012 256",
	"1.2.643.7.1.1.1.2":     "GOST R 34.10-2012 512",
}

// Public key algorithm OIDs Go supports.
var supportedKeyOIDs = map[string]bool{
	"1.2.840.113549.1.1.1": true, // RSA
	"1.2.840.10045.2.1":    true, // ECDSA
	"1.3.101.112":          true, // Ed25519
}

// UnsupportedKeyAlgorithm names a public key algorithm Go's crypto cannot
// use ("Ed448", "RSA-PSS", or the OID of one it does not know); "" for RSA,
// ECDSA and Ed25519.
func UnsupportedKeyAlgorithm(oid asn1.ObjectIdentifier) string {
	s := oid.String()
	if supportedKeyOIDs[s] {
		return ""
	}
	if name, ok := unsupportedKeyOIDs[s]; ok {
		return name
	}
	return "OID " + s
}

// UnsupportedCertificateKey is UnsupportedKeyAlgorithm for the key of cert;
// "" when Go can use it.
func UnsupportedCertificateKey(cert *x509.Certificate) string {
	if cert.PublicKeyAlgorithm != x509.UnknownPublicKeyAlgorithm && cert.PublicKeyAlgorithm != x509.DSA {
		return ""
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err != nil {
		return "unreadable"
	}
	return UnsupportedKeyAlgorithm(spki.Algorithm.Algorithm)
}

// unsupportedPKCS8 reads the algorithm of a PKCS#8 key that Go cannot
// parse; "" when der is no PKCS#8 key or one of a supported algorithm.
func unsupportedPKCS8(der []byte) string {
	var p8 struct {
		Version    int
		Algorithm  pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if rest, err := asn1.Unmarshal(der, &p8); err != nil || len(rest) > 0 {
		return ""
	}
	return UnsupportedKeyAlgorithm(p8.Algorithm.Algorithm)
}

// unsupportedKeyError says which algorithm a key has that Go cannot use.
func unsupportedKeyError(alg string) error {
	return fmt.Errorf("%w: %s", ErrKeyUnsupported, alg)
}
