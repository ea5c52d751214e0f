// Package keytype names the key algorithms renew issues keys of, as the
// configuration writes them (renew.key_type, renew.ca.key_type). The
// configuration validates against them and package issue generates them.
package keytype

import "slices"

// KeyType names a key algorithm.
type KeyType string

// The key types; All lists them.
const (
	ECDSAP256 KeyType = "ecdsa-p256"
	RSA2048   KeyType = "rsa-2048"
	RSA3072   KeyType = "rsa-3072"
	RSA4096   KeyType = "rsa-4096"
	Ed25519   KeyType = "ed25519"
)

// All lists every key type, the default first.
func All() []KeyType { return []KeyType{ECDSAP256, RSA2048, RSA3072, RSA4096, Ed25519} }

// Valid reports whether k is one of All.
func (k KeyType) Valid() bool { return slices.Contains(All(), k) }
