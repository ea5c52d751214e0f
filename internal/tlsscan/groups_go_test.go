package tlsscan

import (
	"context"
	"crypto/tls"
	"slices"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testpeer"
)

// TestGroupsAndClientCertOfGoServers scans Go TLS servers whose groups and
// client certificate requests are set: TLS 1.3 with the hybrid
// X25519MLKEM768 (learned from a HelloRetryRequest) and P-384, TLS 1.2
// with X25519 and P-384 behind a P-256 certificate, with and without a
// request for a client certificate.
func TestGroupsAndClientCertOfGoServers(t *testing.T) {
	ca := testcerts.CA(t, "Scan CA")
	leaf := testcerts.Issue(t, ca, testcerts.Options{DNSNames: []string{"db"}})
	for _, tc := range []struct {
		name      string
		version   uint16
		curves    []tls.CurveID
		auth      tls.ClientAuthType
		groups    []string
		requested bool
	}{
		{"TLS 1.3", tls.VersionTLS13, []tls.CurveID{tls.X25519MLKEM768, tls.CurveP384}, tls.RequestClientCert, []string{"secp384r1", "X25519MLKEM768"}, true},
		{"TLS 1.3 no request", tls.VersionTLS13, []tls.CurveID{tls.CurveP521}, tls.NoClientCert, []string{"secp521r1"}, false},
		{"TLS 1.2", tls.VersionTLS12, []tls.CurveID{tls.CurveP384, tls.X25519}, tls.RequestClientCert, []string{"x25519", "secp384r1"}, true},
		{"TLS 1.2 no request", tls.VersionTLS12, []tls.CurveID{tls.CurveP256}, tls.NoClientCert, []string{"secp256r1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{
				Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw}, PrivateKey: leaf.Key, Leaf: leaf.Cert}},
				MinVersion:   tc.version, MaxVersion: tc.version, CurvePreferences: tc.curves, ClientAuth: tc.auth,
			}
			peer := testpeer.Start(t, testpeer.TLSAfterS(cfg))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := Scan(ctx, Options{Address: peer.Addr, ServerName: "db", Timeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range res.Groups {
				got = append(got, g.Name)
			}
			if !slices.Equal(got, tc.groups) {
				t.Errorf("groups %v, want %v", got, tc.groups)
			}
			if res.RequestsClientCert != tc.requested || res.ClientCertUnknown != "" {
				t.Errorf("client certificate requested %v (%q), want %v", res.RequestsClientCert, res.ClientCertUnknown, tc.requested)
			}
		})
	}
}
