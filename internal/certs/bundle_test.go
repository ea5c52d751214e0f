package certs

import (
	"errors"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

func TestParseBundle(t *testing.T) {
	ca := testcerts.CA(t, "Test CA")
	leaf := testcerts.Issue(t, ca, testcerts.Options{CommonName: "leaf", KeyFormat: testcerts.SEC1})
	rsaLeaf := testcerts.Issue(t, ca, testcerts.Options{CommonName: "rsa", KeyType: testcerts.RSA2048, KeyFormat: testcerts.PKCS1})
	edLeaf := testcerts.Issue(t, ca, testcerts.Options{CommonName: "ed", KeyType: testcerts.Ed25519})
	chain := append(append([]byte{}, leaf.CertPEM...), ca.CertPEM...)
	ecParams := []byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n")

	tests := []struct {
		name       string
		data       []byte
		encoding   Encoding
		certs      int
		keys       []string // Algorithm (Format)
		wantReason Reason
		wantBlock  int
	}{
		{name: "single PEM certificate", data: leaf.CertPEM, encoding: EncodingPEM, certs: 1},
		{name: "chain of two", data: chain, encoding: EncodingPEM, certs: 2},
		{name: "combined cert+SEC1 key", data: leaf.Combined(), encoding: EncodingPEM, certs: 1, keys: []string{"ECDSA P-256 (SEC1)"}},
		{name: "PKCS#1 RSA key", data: rsaLeaf.KeyPEM, encoding: EncodingPEM, keys: []string{"RSA 2048 (PKCS#1)"}},
		{name: "PKCS#8 Ed25519 key", data: edLeaf.KeyPEM, encoding: EncodingPEM, keys: []string{"Ed25519 (PKCS#8)"}},
		{name: "EC parameters block skipped", data: append(append([]byte{}, ecParams...), leaf.KeyPEM...), encoding: EncodingPEM, keys: []string{"ECDSA P-256 (SEC1)"}},
		{name: "text around blocks", data: append([]byte("subject=CN = leaf\n"), leaf.CertPEM...), encoding: EncodingPEM, certs: 1},
		{name: "DER certificate", data: leaf.Cert.Raw, encoding: EncodingDER, certs: 1},
		{name: "DER sequence", data: append(append([]byte{}, leaf.Cert.Raw...), ca.Cert.Raw...), encoding: EncodingDER, certs: 2},
		{name: "DER PKCS#1 key", data: pemBody(t, rsaLeaf.KeyPEM), encoding: EncodingDER, keys: []string{"RSA 2048 (PKCS#1)"}},
		{name: "empty", data: nil, wantReason: ReasonEmpty},
		{name: "whitespace only", data: []byte("\n \n"), wantReason: ReasonEmpty},
		{name: "garbage", data: []byte("hello world"), wantReason: ReasonGarbage},
		{name: "PEM without known blocks", data: ecParams, wantReason: ReasonGarbage},
		{name: "truncated PEM", data: leaf.CertPEM[:len(leaf.CertPEM)/2], wantReason: ReasonTruncated, wantBlock: 1},
		{name: "second block truncated", data: chain[:len(chain)-40], wantReason: ReasonTruncated, wantBlock: 2},
		{name: "bad base64", data: []byte("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"), wantReason: ReasonTruncated, wantBlock: 1},
		{name: "certificate bytes cut", data: reencode("CERTIFICATE", leaf.Cert.Raw[:100]), wantReason: ReasonBadCertificate, wantBlock: 1},
		{name: "key bytes cut", data: reencode("PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01, 0x00}), wantReason: ReasonBadKey, wantBlock: 1},
		{name: "DER cut", data: leaf.Cert.Raw[:50], wantReason: ReasonBadCertificate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ParseBundle(tc.data)
			if tc.wantReason != "" {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v, want ParseError %q", err, tc.wantReason)
				}
				if pe.Reason != tc.wantReason || pe.Block != tc.wantBlock {
					t.Fatalf("reason %q block %d, want %q block %d (%v)", pe.Reason, pe.Block, tc.wantReason, tc.wantBlock, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBundle: %v", err)
			}
			if b.Encoding != tc.encoding || len(b.Certificates) != tc.certs {
				t.Fatalf("encoding %s certs %d, want %s %d", b.Encoding, len(b.Certificates), tc.encoding, tc.certs)
			}
			var keys []string
			for _, k := range b.Keys {
				keys = append(keys, k.Algorithm()+" ("+k.Format+")")
			}
			if strings.Join(keys, ";") != strings.Join(tc.keys, ";") {
				t.Fatalf("keys %v, want %v", keys, tc.keys)
			}
		})
	}
}

func TestEncryptedKeys(t *testing.T) {
	legacy := []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\nAAAA\n-----END RSA PRIVATE KEY-----\n")
	pkcs8 := []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")
	ca := testcerts.CA(t, "Test CA")
	for name, data := range map[string][]byte{"legacy PEM encryption": legacy, "PKCS#8 encrypted": pkcs8} {
		b, err := ParseBundle(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		k, err := b.SingleKey()
		if err != nil || !k.Encrypted {
			t.Fatalf("%s: key %+v err %v, want encrypted", name, k, err)
		}
		if ok, err := KeyMatches(ca.Cert, k); ok || !errors.Is(err, ErrKeyEncrypted) {
			t.Fatalf("%s: KeyMatches = %v, %v; want ErrKeyEncrypted", name, ok, err)
		}
	}
}

func TestSingleKey(t *testing.T) {
	a := testcerts.Issue(t, nil, testcerts.Options{CommonName: "a"})
	b, err := ParseBundle(append(append([]byte{}, a.KeyPEM...), a.KeyPEM...))
	if err != nil {
		t.Fatal(err)
	}
	var pe *ParseError
	if _, err := b.SingleKey(); !errors.As(err, &pe) || pe.Reason != ReasonManyKeys {
		t.Fatalf("two keys: %v", err)
	}
	b, _ = ParseBundle(a.CertPEM)
	if _, err := b.SingleKey(); !errors.As(err, &pe) || pe.Reason != ReasonNoKey {
		t.Fatalf("no key: %v", err)
	}
}

func TestKeyMatches(t *testing.T) {
	kinds := map[string]testcerts.KeyType{"ECDSA": testcerts.ECDSAP256, "RSA": testcerts.RSA2048, "Ed25519": testcerts.Ed25519}
	issued := map[string]*testcerts.Issued{}
	for name, kt := range kinds {
		issued[name] = testcerts.Issue(t, nil, testcerts.Options{CommonName: name, KeyType: kt})
	}
	other := testcerts.Issue(t, nil, testcerts.Options{CommonName: "other"})
	for name, is := range issued {
		key := mustKey(t, is.KeyPEM)
		if ok, err := KeyMatches(is.Cert, key); !ok || err != nil {
			t.Errorf("%s own key: %v %v", name, ok, err)
		}
	}
	ok, err := KeyMatches(issued["ECDSA"].Cert, mustKey(t, other.KeyPEM))
	if ok || err == nil || err.Error() != "ECDSA P-256 key belongs to another certificate" {
		t.Errorf("other ECDSA key: %v %v", ok, err)
	}
	ok, err = KeyMatches(issued["ECDSA"].Cert, mustKey(t, issued["RSA"].KeyPEM))
	if ok || err == nil || err.Error() != "key is RSA 2048, certificate key is ECDSA P-256" {
		t.Errorf("RSA key for ECDSA cert: %v %v", ok, err)
	}
}

func mustKey(t *testing.T, data []byte) Key {
	t.Helper()
	b, err := ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	k, err := b.SingleKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
