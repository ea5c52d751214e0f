package certs

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/magflow/pgtls_exporter/internal/pemcert"
)

// Reason classifies why bytes could not be used.
type Reason string

// The fixed list of parse failure reasons.
const (
	ReasonEmpty          Reason = "empty"
	ReasonTruncated      Reason = "truncated or malformed PEM block"
	ReasonGarbage        Reason = "neither PEM nor DER"
	ReasonBadCertificate Reason = "certificate does not parse"
	ReasonBadKey         Reason = "private key does not parse"
	ReasonNoCertificate  Reason = "no certificate"
	ReasonNoKey          Reason = "no private key"
	ReasonManyKeys       Reason = "more than one private key"
)

// ParseError is a parse failure with its reason and, where known, the
// 1-based PEM block it happened in.
type ParseError struct {
	Reason Reason
	Block  int
	Err    error
}

func (e *ParseError) Error() string {
	msg := string(e.Reason)
	if e.Block > 0 {
		msg = fmt.Sprintf("%s (PEM block %d)", msg, e.Block)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ParseError) Unwrap() error { return e.Err }

// Encoding names how a file was encoded.
type Encoding string

// File encodings.
const (
	EncodingPEM Encoding = "PEM"
	EncodingDER Encoding = "DER"
)

// Bundle is everything found in one file: certificates in file order and
// private keys (public halves only).
type Bundle struct {
	Encoding     Encoding
	Certificates []*x509.Certificate
	Keys         []Key
}

var pemBegin = []byte("-----BEGIN ")

// ParseBundle parses a PEM file with any number of CERTIFICATE (or OpenSSL's
// TRUSTED CERTIFICATE) and private key blocks (other block types such as EC
// PARAMETERS are skipped), or a DER certificate, certificate sequence or
// private key.
func ParseBundle(data []byte) (*Bundle, error) {
	return parseBundle(data, nil)
}

// parseBundle is ParseBundle; keep, when not nil, receives the private
// half of each usable key, in file order (nil for an encrypted or
// unsupported key).
func parseBundle(data []byte, keep func(crypto.Signer)) (*Bundle, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, &ParseError{Reason: ReasonEmpty}
	}
	if bytes.Contains(trimmed, pemBegin) {
		return parsePEM(trimmed, keep)
	}
	return parseDER(data, keep)
}

func parsePEM(rest []byte, keep func(crypto.Signer)) (*Bundle, error) {
	b := &Bundle{Encoding: EncodingPEM}
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if bytes.Contains(rest, pemBegin) {
				return nil, &ParseError{Reason: ReasonTruncated, Block: n}
			}
			break
		}
		switch {
		case pemcert.IsCertificate(block.Type):
			cert, err := pemcert.Parse(block)
			if err != nil {
				return nil, &ParseError{Reason: ReasonBadCertificate, Block: n, Err: err}
			}
			b.Certificates = append(b.Certificates, cert)
		case isKeyBlock(block.Type):
			key, signer, err := parsePEMKey(block)
			if err != nil {
				return nil, &ParseError{Reason: ReasonBadKey, Block: n, Err: err}
			}
			b.Keys = append(b.Keys, key)
			if keep != nil {
				keep(signer)
			}
		}
	}
	if len(b.Certificates) == 0 && len(b.Keys) == 0 {
		return nil, &ParseError{Reason: ReasonGarbage}
	}
	return b, nil
}

func parseDER(data []byte, keep func(crypto.Signer)) (*Bundle, error) {
	certs, certErr := x509.ParseCertificates(data)
	if certErr == nil && len(certs) > 0 {
		return &Bundle{Encoding: EncodingDER, Certificates: certs}, nil
	}
	if key, signer, err := parseDERKey(data); err == nil {
		if keep != nil {
			keep(signer)
		}
		return &Bundle{Encoding: EncodingDER, Keys: []Key{key}}, nil
	}
	if len(data) > 0 && data[0] == 0x30 { // an ASN.1 SEQUENCE: DER, but broken
		return nil, &ParseError{Reason: ReasonBadCertificate, Err: certErr}
	}
	return nil, &ParseError{Reason: ReasonGarbage}
}

// Leaf returns the first certificate, or nil.
func (b *Bundle) Leaf() *x509.Certificate {
	if len(b.Certificates) == 0 {
		return nil
	}
	return b.Certificates[0]
}

// SingleKey returns the one private key of the bundle, or a *ParseError
// when there is none or more than one.
func (b *Bundle) SingleKey() (Key, error) {
	switch len(b.Keys) {
	case 0:
		return Key{}, &ParseError{Reason: ReasonNoKey}
	case 1:
		return b.Keys[0], nil
	default:
		return Key{}, &ParseError{Reason: ReasonManyKeys}
	}
}
