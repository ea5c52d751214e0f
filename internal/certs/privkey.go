package certs

import (
	"crypto"
)

// ParsePrivateKey returns the private key of a key file for signing. It
// reads the file as ParseBundle does (PEM with any certificates around
// the key, or DER) and, as check judges a key file, wants exactly one
// private key: the errors are ParseBundle's and SingleKey's *ParseError,
// an error wrapping ErrKeyEncrypted for a key encrypted with a passphrase,
// or one wrapping ErrKeyUnsupported for an algorithm Go cannot use. Errors
// never quote key material.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	var signers []crypto.Signer
	b, err := parseBundle(data, func(s crypto.Signer) { signers = append(signers, s) })
	if err != nil {
		return nil, err
	}
	key, err := b.SingleKey()
	if err != nil {
		return nil, err
	}
	switch {
	case key.Encrypted:
		return nil, ErrKeyEncrypted
	case key.Unsupported != "":
		return nil, unsupportedKeyError(key.Unsupported)
	}
	return signers[0], nil
}
