package certs

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// TestParsePrivateKey: the signer comes from the same reading as the
// bundle's key, PEM (after a certificate too) or DER.
func TestParsePrivateKey(t *testing.T) {
	ec := testcerts.Issue(t, nil, testcerts.Options{CommonName: "ec", KeyFormat: testcerts.SEC1})
	rsa := testcerts.Issue(t, nil, testcerts.Options{CommonName: "rsa", KeyType: testcerts.RSA2048, KeyFormat: testcerts.PKCS1})
	ed := testcerts.Issue(t, nil, testcerts.Options{CommonName: "ed", KeyType: testcerts.Ed25519})
	for name, tc := range map[string]struct {
		data []byte
		want crypto.Signer
	}{
		"SEC1 PEM":          {ec.KeyPEM, ec.Key},
		"combined PEM":      {ec.Combined(), ec.Key},
		"PKCS#1 PEM":        {rsa.KeyPEM, rsa.Key},
		"PKCS#8 PEM":        {ed.KeyPEM, ed.Key},
		"DER PKCS#1":        {pemBody(t, rsa.KeyPEM), rsa.Key},
		"PEM with a header": {append([]byte("# the server key\n"), ec.KeyPEM...), ec.Key},
	} {
		got, err := ParsePrivateKey(tc.data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(tc.want.Public()) {
			t.Fatalf("%s: another key", name)
		}
	}
}

// TestParsePrivateKeyRefusals: the errors are the bundle reader's, so a
// key file gets the same words wherever it is read. A legacy encrypted
// PEM key (Proc-Type: 4,ENCRYPTED) is encrypted, as for PostgreSQL, which
// asks for its passphrase, never a block that does not parse.
func TestParsePrivateKeyRefusals(t *testing.T) {
	a := testcerts.Issue(t, nil, testcerts.Options{CommonName: "a"})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"nothing", nil, "empty"},
		{"certificate only", a.CertPEM, "no private key"},
		{"two keys", append(append([]byte{}, a.KeyPEM...), a.KeyPEM...), "more than one private key"},
		{"broken SEC1", []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"),
			"private key does not parse (PEM block 1): SEC1 key: x509: failed to parse EC private key: asn1: …"},
		{"PKCS#8 encrypted", []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), "private key is encrypted"},
		{"legacy PEM encryption", testcerts.LegacyEncryptedKey(t), "private key is encrypted"},
		{"Ed448", reencode("PRIVATE KEY", ed448PKCS8(t)), "key type not supported by pgtls_exporter (Go's crypto): Ed448"},
	} {
		_, err := ParsePrivateKey(tc.data)
		if prefix, cut := strings.CutSuffix(tc.want, "…"); err == nil || (cut && !strings.HasPrefix(err.Error(), prefix)) || (!cut && err.Error() != tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%s: error quotes key material: %v", tc.name, err)
		}
	}
	if _, err := ParsePrivateKey(testcerts.LegacyEncryptedKey(t)); !errors.Is(err, ErrKeyEncrypted) {
		t.Fatalf("legacy encrypted key: %v, want ErrKeyEncrypted", err)
	}
}

// ed448PKCS8 is a PKCS#8 key of an algorithm Go cannot use, as OpenSSL
// writes one for "openssl genpkey -algorithm ed448".
func ed448PKCS8(t *testing.T) []byte {
	t.Helper()
	inner, err := asn1.Marshal(make([]byte, 57))
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(struct {
		Version    int
		Algorithm  pkix.AlgorithmIdentifier
		PrivateKey []byte
	}{0, pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 3, 101, 113}}, inner})
	if err != nil {
		t.Fatal(err)
	}
	return der
}
