package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

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
		wantReason VerifyReason // "" means verified
		wantDetail string
	}{
		{name: "valid", serve: []*testcerts.Issued{p.leaf}, serverName: "db"},
		{name: "valid for the IP", serve: []*testcerts.Issued{p.leaf}, serverName: "127.0.0.1"},
		{name: "valid through an intermediate", serve: []*testcerts.Issued{viaIntermediate, intermediate}, serverName: "db"},
		{name: "expired", serve: []*testcerts.Issued{expired}, serverName: "db", wantReason: VerifyExpired,
			wantDetail: `certificate "CN=db" expired at ` + stamp(expired.Cert.NotAfter) + " (now "},
		{name: "not yet valid", serve: []*testcerts.Issued{future}, serverName: "db", wantReason: VerifyNotYetValid,
			wantDetail: `certificate "CN=db" is not valid until ` + stamp(future.Cert.NotBefore) + " (now "},
		{name: "self-signed", serve: []*testcerts.Issued{selfSigned}, serverName: "db", wantReason: VerifyUnknownAuthority,
			wantDetail: `certificate "CN=db" is self-signed and signed by an unknown authority (not by the configured CA)`},
		{name: "signed by another CA", serve: []*testcerts.Issued{fromOther}, serverName: "db", wantReason: VerifyUnknownAuthority,
			wantDetail: `certificate "CN=db" is signed by an unknown authority: issuer "CN=Other CA" is not among the configured CA certificates`},
		{name: "signed by a re-created CA of the same name", serve: []*testcerts.Issued{fromTwin}, serverName: "db",
			wantReason: VerifyUnknownAuthority,
			wantDetail: `issuer "CN=Magflow Test CA" is not among the configured CA certificates (possibly because of "x509: ECDSA verification failure"`},
		{name: "intermediate missing from the served chain", serve: []*testcerts.Issued{viaIntermediate}, serverName: "db",
			wantReason: VerifyUnknownAuthority, wantDetail: `issuer "CN=Magflow Intermediate" is not among the configured CA certificates`},
		{name: "wrong name", serve: []*testcerts.Issued{wrongName}, serverName: "db", wantReason: VerifyNameMismatch,
			wantDetail: "certificate is valid for pgbouncer, localhost, 127.0.0.1, not db"},
		{name: "wrong IP", serve: []*testcerts.Issued{p.leaf}, serverName: "10.1.2.3", wantReason: VerifyNameMismatch,
			wantDetail: "certificate is valid for db, localhost, 127.0.0.1, not 10.1.2.3"},
		{name: "no SANs, common name matches", serve: []*testcerts.Issued{noSANs}, serverName: "db", wantCNOnly: true},
		{name: "no SANs, common name differs", serve: []*testcerts.Issued{noSANs}, serverName: "other", wantReason: VerifyNameMismatch,
			wantDetail: `certificate has no subject alternative names and its common name "db" does not match other`},
		{name: "common name matches, but expired", serve: []*testcerts.Issued{expiredNoSANs}, serverName: "db", wantReason: VerifyExpired,
			wantDetail: `certificate "CN=db" expired at ` + stamp(expiredNoSANs.Cert.NotAfter)},
		{name: "client certificate served", serve: []*testcerts.Issued{clientOnly}, serverName: "db", wantReason: VerifyWrongUsage,
			wantDetail: `certificate "CN=db" is not valid for server authentication (extended key usage clientAuth)`},
		{name: "no CA configured", serve: []*testcerts.Issued{p.leaf}, serverName: "db", noRoots: true, wantReason: VerifyNotConfigured,
			wantDetail: "verification not configured: no CA certificates given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roots := p.roots
			if tt.noRoots {
				roots = nil
			}
			events := make(chan serverEvent, 1)
			srv := startPeer(t, pgServer(serverConfig(tt.serve[0], tt.serve[1:]...), false, 0, events))
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			res, err := Probe(ctx, Options{Address: srv.addr, ServerName: tt.serverName, RootCAs: roots})
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
			if res.CommonNameOnly != tt.wantCNOnly {
				t.Errorf("CommonNameOnly = %v", res.CommonNameOnly)
			}
			if tt.wantReason == "" {
				if !res.Verified() {
					t.Fatalf("Verified() = false: %v", res.VerifyErr)
				}
				return
			}
			if res.Verified() {
				t.Fatal("Verified() = true, want a failure")
			}
			var ve *VerifyError
			if !errors.As(res.VerifyErr, &ve) {
				t.Fatalf("VerifyErr %v (%T) is not a *VerifyError", res.VerifyErr, res.VerifyErr)
			}
			if ve.Reason != tt.wantReason || !strings.Contains(ve.Error(), tt.wantDetail) {
				t.Errorf("VerifyErr = %s: %q\nwant      %s: containing %q", ve.Reason, ve.Error(), tt.wantReason, tt.wantDetail)
			}
			if (ve.Err == nil) != (tt.wantReason == VerifyNotConfigured) {
				t.Errorf("VerifyError.Err = %v", ve.Err)
			}
		})
	}
}

func TestVerifyWithoutCertificate(t *testing.T) {
	_, err := verify(nil, "db", x509.NewCertPool(), time.Now(), nil)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Reason != VerifyNoCertificate || ve.Error() != "server sent no certificate" {
		t.Fatalf("verify(no chain) = %v", err)
	}
}

func TestVerifyExpiredIntermediate(t *testing.T) {
	ca := testcerts.CA(t, "Root")
	now := time.Now()
	inter := testcerts.Issue(t, ca, testcerts.Options{CommonName: "Old Intermediate", IsCA: true,
		NotBefore: now.Add(-72 * time.Hour), NotAfter: now.Add(-time.Hour)})
	leaf := testcerts.Issue(t, inter, testcerts.Options{CommonName: "db", DNSNames: []string{"db"}})
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err := verify([]*x509.Certificate{leaf.Cert, inter.Cert}, "db", roots, now, nil)
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("verify = %v, want a *VerifyError", err)
	}
	want := `chain certificate "CN=Old Intermediate" expired at ` + stamp(inter.Cert.NotAfter)
	if ve.Reason != VerifyExpired || !strings.Contains(ve.Detail, want) {
		t.Errorf("verify = %s: %s", ve.Reason, ve.Detail)
	}
}
