package certs

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// FuzzParseBundle feeds arbitrary bytes to the parser: it must return a
// bundle or a *ParseError, never panic, and a bundle must hold something.
func FuzzParseBundle(f *testing.F) {
	ca := testcerts.CA(f, "Fuzz CA")
	leaf := testcerts.Issue(f, ca, testcerts.Options{CommonName: "leaf", KeyFormat: testcerts.SEC1})
	rsa := testcerts.Issue(f, ca, testcerts.Options{CommonName: "rsa", KeyType: testcerts.RSA2048, KeyFormat: testcerts.PKCS1})
	for _, seed := range [][]byte{
		leaf.CertPEM, leaf.Combined(), rsa.Combined(), ca.Cert.Raw, leaf.KeyPEM[:40], nil,
		[]byte("-----BEGIN CERTIFICATE-----\n"), []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAA==\n-----END RSA PRIVATE KEY-----\n"),
		{0x30, 0x82, 0x01}, []byte("garbage"),
	} {
		f.Add(seed)
	}
	auth := NewAuthority([]*x509.Certificate{ca.Cert}, 2)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if len(b.Certificates) == 0 && len(b.Keys) == 0 {
			t.Fatal("bundle without content")
		}
		for _, c := range b.Certificates {
			_ = Serial(c)
			_ = SANs(c)
			_ = MatchName(c, "127.0.0.1")
			for _, k := range b.Keys {
				_, _ = KeyMatches(c, k)
			}
		}
		_ = auth.Verify(b.Certificates, "db", time.Now())
	})
}
