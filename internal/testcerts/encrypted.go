package testcerts

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"
)

// LegacyEncryptedKey returns an RSA key as OpenSSL's legacy PEM encryption
// writes it ("openssl genrsa -aes128 -traditional"): an RSA PRIVATE KEY
// block with "Proc-Type: 4,ENCRYPTED" and "DEK-Info" headers around
// ciphertext. The ciphertext is random bytes: no passphrase opens it.
func LegacyEncryptedKey(tb testing.TB) []byte {
	tb.Helper()
	iv, body := make([]byte, 16), make([]byte, 1216)
	if _, err := rand.Read(iv); err != nil {
		tb.Fatalf("random IV: %v", err)
	}
	if _, err := rand.Read(body); err != nil {
		tb.Fatalf("random ciphertext: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: body, Headers: map[string]string{
		"Proc-Type": "4,ENCRYPTED",
		"DEK-Info":  "AES-128-CBC," + strings.ToUpper(hex.EncodeToString(iv)),
	}})
}
