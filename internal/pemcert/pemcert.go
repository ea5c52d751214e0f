// Package pemcert parses the certificate PEM blocks OpenSSL-based servers
// read: CERTIFICATE, and TRUSTED CERTIFICATE (openssl x509 -trustout: the
// DER certificate followed by its trust settings, an X509_CERT_AUX). It does
// no IO.
package pemcert

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
)

// PEM block types holding a certificate.
const (
	TypeCertificate        = "CERTIFICATE"
	TypeTrustedCertificate = "TRUSTED CERTIFICATE"
)

// IsCertificate reports whether a PEM block type holds a certificate.
func IsCertificate(blockType string) bool {
	return blockType == TypeCertificate || blockType == TypeTrustedCertificate
}

// Parse parses a CERTIFICATE or TRUSTED CERTIFICATE block; trust settings
// after the certificate are ignored.
func Parse(block *pem.Block) (*x509.Certificate, error) {
	if block.Type != TypeTrustedCertificate {
		return x509.ParseCertificate(block.Bytes)
	}
	var cert asn1.RawValue // the outer SEQUENCE; x509.ParseCertificate refuses trailing data
	if _, err := asn1.Unmarshal(block.Bytes, &cert); err != nil {
		return nil, fmt.Errorf("%s: %w", TypeTrustedCertificate, err)
	}
	return x509.ParseCertificate(cert.FullBytes)
}
