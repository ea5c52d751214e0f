package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Key is the public half of a private key found in a file, with how it was
// stored. The private half is never kept.
type Key struct {
	// Public is nil when the key is encrypted.
	Public crypto.PublicKey
	// Format is "PKCS#1", "PKCS#8" or "SEC1".
	Format string
	// Encrypted keys cannot be matched without their passphrase.
	Encrypted bool
	// Unsupported names the algorithm of a key Go cannot use (Ed448,
	// RSA-PSS); Public is nil then.
	Unsupported string
}

// Algorithm describes the key, e.g. "ECDSA P-256", "RSA 2048", "Ed25519".
func (k Key) Algorithm() string {
	if k.Unsupported != "" {
		return k.Unsupported
	}
	return PublicKeyAlgorithm(k.Public)
}

// PublicKeyAlgorithm describes a public key, e.g. "ECDSA P-256".
func PublicKeyAlgorithm(pub crypto.PublicKey) string {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", p.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + p.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case nil:
		return "unknown"
	default:
		return fmt.Sprintf("%T", pub)
	}
}

func isKeyBlock(typ string) bool {
	return typ == "PRIVATE KEY" || typ == "RSA PRIVATE KEY" ||
		typ == "EC PRIVATE KEY" || typ == "ENCRYPTED PRIVATE KEY"
}

// parsePEMKey parses a private key PEM block. The signer is nil for an
// encrypted key (PKCS#8 ENCRYPTED PRIVATE KEY, or OpenSSL's legacy
// "Proc-Type: 4,ENCRYPTED" header) and for an algorithm Go cannot use.
func parsePEMKey(block *pem.Block) (Key, crypto.Signer, error) {
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		return Key{Format: "PKCS#8", Encrypted: true}, nil, nil
	}
	format := map[string]string{"PRIVATE KEY": "PKCS#8", "RSA PRIVATE KEY": "PKCS#1", "EC PRIVATE KEY": "SEC1"}[block.Type]
	if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return Key{Format: format, Encrypted: true}, nil, nil
	}
	var (
		priv any
		err  error
	)
	switch format {
	case "PKCS#1":
		priv, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "SEC1":
		priv, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		priv, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		if alg := unsupportedPKCS8(block.Bytes); err != nil && alg != "" {
			return Key{Format: format, Unsupported: alg}, nil, nil
		}
	}
	if err != nil {
		return Key{}, nil, fmt.Errorf("%s key: %w", format, err)
	}
	return publicHalf(priv, format)
}

// parseDERKey parses a DER private key: PKCS#8, PKCS#1 or SEC1.
func parseDERKey(der []byte) (Key, crypto.Signer, error) {
	if priv, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return publicHalf(priv, "PKCS#8")
	} else if alg := unsupportedPKCS8(der); alg != "" {
		return Key{Format: "PKCS#8", Unsupported: alg}, nil, nil
	}
	if priv, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return publicHalf(priv, "PKCS#1")
	}
	if priv, err := x509.ParseECPrivateKey(der); err == nil {
		return publicHalf(priv, "SEC1")
	}
	return Key{}, nil, errors.New("not a DER private key")
}

func publicHalf(priv any, format string) (Key, crypto.Signer, error) {
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return Key{}, nil, fmt.Errorf("unsupported private key type %T", priv)
	}
	return Key{Public: signer.Public(), Format: format}, signer, nil
}

// ErrKeyEncrypted is wrapped by the errors for a private key encrypted with
// a passphrase (PKCS#8 ENCRYPTED PRIVATE KEY, or OpenSSL's legacy
// "Proc-Type: 4,ENCRYPTED" PEM header): it cannot be matched or used
// without the passphrase.
var ErrKeyEncrypted = errors.New("private key is encrypted")

// KeyMatches reports whether key is the private half of cert's public key.
// It returns ErrKeyEncrypted for an encrypted key, and an error naming both
// algorithms when they differ.
func KeyMatches(cert *x509.Certificate, key Key) (bool, error) {
	if key.Encrypted {
		return false, fmt.Errorf("%w; cannot check that it matches", ErrKeyEncrypted)
	}
	if key.Unsupported != "" {
		return false, unsupportedKeyError(key.Unsupported)
	}
	pub, ok := key.Public.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return false, fmt.Errorf("unsupported public key type %T", key.Public)
	}
	if pub.Equal(cert.PublicKey) {
		return true, nil
	}
	keyAlg, certAlg := key.Algorithm(), PublicKeyAlgorithm(cert.PublicKey)
	if keyAlg != certAlg {
		return false, fmt.Errorf("key is %s, certificate key is %s", keyAlg, certAlg)
	}
	return false, fmt.Errorf("%s key belongs to another certificate", keyAlg)
}
