package probe

import (
	"context"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

func TestProbeVerification(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	names := testcerts.Options{CommonName: "db", DNSNames: []string{"db", "localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	with := func(change func(*testcerts.Options)) testcerts.Options {
		o := names
		change(&o)
		return o
	}
	expired := testcerts.Issue(t, p.ca, with(func(o *testcerts.Options) {
		o.NotBefore, o.NotAfter = now.Add(-48*time.Hour).Truncate(time.Second), now.Add(-24*time.Hour).Truncate(time.Second)
	}))
	future := testcerts.Issue(t, p.ca, with(func(o *testcerts.Options) {
		o.NotBefore = now.Add(24 * time.Hour).Truncate(time.Second)
	}))
	selfSigned := testcerts.Issue(t, nil, names)
	otherCA := testcerts.CA(t, "Other CA")
	fromOther := testcerts.Issue(t, otherCA, names)
	twinCA := testcerts.CA(t, p.ca.Cert.Subject.CommonName) // a re-created CA with the same name
	fromTwin := testcerts.Issue(t, twinCA, names)
	wrongName := testcerts.Issue(t, p.ca, testcerts.Options{CommonName: "pgbouncer",
		DNSNames: []string{"pgbouncer", "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}})
	noSANs := testcerts.Issue(t, p.ca, testcerts.Options{CommonName: "db"})
	expiredNoSANs := testcerts.Issue(t, p.ca, testcerts.Options{CommonName: "db",
		NotBefore: time.Now().Add(-72 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	clientOnly := testcerts.Issue(t, p.ca, with(func(o *testcerts.Options) {
		o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}))
	intermediate := testcerts.Issue(t, p.ca, testcerts.Options{CommonName: "Magflow Intermediate", IsCA: true})
	viaIntermediate := testcerts.Issue(t, intermediate, names)

	tests := []struct {
		name       string
		serve      []*testcerts.Issued // leaf first
		serverName string
		noRoots    bool
		wantCNOnly bool
		wantReason certs.VerifyReason // "" means verified
		wantDetail string
	}{
		{name: "valid", serve: []*testcerts.Issued{p.leaf}, serverName: "db"},
		{name: "valid for the IP", serve: []*testcerts.Issued{p.leaf}, serverName: "127.0.0.1"},
		{name: "valid through an intermediate", serve: []*testcerts.Issued{viaIntermediate, intermediate}, serverName: "db"},
		{name: "expired", serve: []*testcerts.Issued{expired}, serverName: "db", wantReason: certs.VerifyExpired,
			wantDetail: `"CN=db" expired at ` + stamp(expired.Cert.NotAfter) + " (OpenSSL: certificate has expired, depth 0)"},
		{name: "not yet valid", serve: []*testcerts.Issued{future}, serverName: "db", wantReason: certs.VerifyNotYetValid,
			wantDetail: `"CN=db" is not valid before ` + stamp(future.Cert.NotBefore) + " (OpenSSL: certificate is not yet valid, depth 0)"},
		{name: "self-signed", serve: []*testcerts.Issued{selfSigned}, serverName: "db", wantReason: certs.VerifyUnknownAuthority,
			wantDetail: `"CN=db" is self-signed and not in the CA file (OpenSSL: self-signed certificate, depth 0)`},
		{name: "signed by another CA", serve: []*testcerts.Issued{fromOther}, serverName: "db", wantReason: certs.VerifyUnknownAuthority,
			wantDetail: `"CN=db" is signed by "CN=Other CA", which neither the CA file nor the chain holds (OpenSSL: unable to get local issuer certificate, depth 0)`},
		{name: "signed by a re-created CA of the same name", serve: []*testcerts.Issued{fromTwin}, serverName: "db",
			wantReason: certs.VerifyUnknownAuthority,
			wantDetail: `"CN=db" is signed by "CN=Magflow Test CA", which neither the CA file nor the chain holds (OpenSSL: unable to get local issuer certificate, depth 0)`},
		{name: "intermediate missing from the served chain", serve: []*testcerts.Issued{viaIntermediate}, serverName: "db",
			wantReason: certs.VerifyUnknownAuthority, wantDetail: `"CN=db" is signed by "CN=Magflow Intermediate", which neither the CA file nor the chain holds (OpenSSL: unable to get local issuer certificate, depth 0)`},
		{name: "wrong name", serve: []*testcerts.Issued{wrongName}, serverName: "db", wantReason: certs.VerifyNameMismatch,
			wantDetail: `server certificate for "pgbouncer" (and 2 other names) does not match host name "db"`},
		{name: "wrong IP", serve: []*testcerts.Issued{p.leaf}, serverName: "10.1.2.3", wantReason: certs.VerifyNameMismatch,
			wantDetail: `server certificate for "db" (and 2 other names) does not match host name "10.1.2.3"`},
		{name: "no SANs, common name matches", serve: []*testcerts.Issued{noSANs}, serverName: "db", wantCNOnly: true},
		{name: "no SANs, common name differs", serve: []*testcerts.Issued{noSANs}, serverName: "other", wantReason: certs.VerifyNameMismatch,
			wantDetail: `server certificate for "db" does not match host name "other"`},
		{name: "common name matches, but expired", serve: []*testcerts.Issued{expiredNoSANs}, serverName: "db", wantReason: certs.VerifyExpired,
			wantDetail: `"CN=db" expired at ` + stamp(expiredNoSANs.Cert.NotAfter) + " (OpenSSL: certificate has expired, depth 0)"},
		{name: "client certificate served", serve: []*testcerts.Issued{clientOnly}, serverName: "db", wantReason: certs.VerifyWrongKeyUsage,
			wantDetail: `"CN=db" has extended key usage clientAuth, without serverAuth (OpenSSL: unsuitable certificate purpose, depth 0)`},
		{name: "no CA configured", serve: []*testcerts.Issued{p.leaf}, serverName: "db", noRoots: true, wantReason: certs.VerifyNotConfigured,
			wantDetail: "verification not configured: no CA certificates given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var roots Verifier = p.roots
			if tt.noRoots {
				roots = nil
			}
			events := make(chan serverEvent, 1)
			srv := startPeer(t, pgServer(serverConfig(tt.serve[0], tt.serve[1:]...), false, 0, events))
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			res, err := Probe(ctx, Options{Address: srv.addr, ServerName: tt.serverName, Verifier: roots})
			if err != nil {
				t.Fatalf("Probe failed (verification must not fail it): %v", err)
			}
			if ev := await(t, events); ev.err != nil {
				t.Fatalf("server handshake: %v", ev.err)
			}
			if got := res.PeerCertificates[0].SerialNumber; got.Cmp(tt.serve[0].Cert.SerialNumber) != 0 {
				t.Errorf("served serial %v, want %v", got, tt.serve[0].Cert.SerialNumber)
			}
			if len(res.PeerCertificates) != len(tt.serve) {
				t.Errorf("got %d certificates, served %d", len(res.PeerCertificates), len(tt.serve))
			}
			if res.CommonNameOnly() != tt.wantCNOnly {
				t.Errorf("CommonNameOnly = %v", res.CommonNameOnly())
			}
			if tt.wantReason == "" {
				if !res.Verified() {
					t.Fatalf("Verified() = false: %v", res.VerifyErr())
				}
				return
			}
			if res.Verified() {
				t.Fatal("Verified() = true, want a failure")
			}
			if v := res.Verification; v.Reason != tt.wantReason || v.Detail() != tt.wantDetail {
				t.Errorf("verification = %s: %q\nwant           %s: %q", v.Reason, v.Detail(), tt.wantReason, tt.wantDetail)
			}
		})
	}
}

func TestVerifyWithoutCertificate(t *testing.T) {
	v := verify(nil, "db", certs.NewAuthority(nil, 2), time.Now(), nil)
	if v.Reason != certs.VerifyNoCertificate || v.Detail() != "server sent no certificate" {
		t.Fatalf("verify(no chain) = %s: %s", v.Reason, v.Detail())
	}
}

func TestVerifyExpiredIntermediate(t *testing.T) {
	ca := testcerts.CA(t, "Root")
	now := time.Now()
	inter := testcerts.Issue(t, ca, testcerts.Options{CommonName: "Old Intermediate", IsCA: true,
		NotBefore: now.Add(-72 * time.Hour), NotAfter: now.Add(-time.Hour)})
	leaf := testcerts.Issue(t, inter, testcerts.Options{CommonName: "db", DNSNames: []string{"db"}})
	v := verify([]*x509.Certificate{leaf.Cert, inter.Cert}, "db", certs.NewAuthority([]*x509.Certificate{ca.Cert}, 2), now, nil)
	want := `"CN=Old Intermediate" expired at ` + stamp(inter.Cert.NotAfter) + " (OpenSSL: certificate has expired, depth 1)"
	if v.Reason != certs.VerifyExpired || v.Detail() != want {
		t.Errorf("verify = %s: %s\nwant %s", v.Reason, v.Detail(), want)
	}
}

// stamp formats a time as verification details do.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
