package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

func TestProbeClientCertificate(t *testing.T) {
	p := newPKI(t)
	clientOpts := testcerts.Options{CommonName: "monitor", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	client := testcerts.Issue(t, p.ca, clientOpts)
	good := keyPair(client)
	stranger := keyPair(testcerts.Issue(t, testcerts.CA(t, "Stranger CA"), clientOpts))
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(p.ca.Cert)

	server := func(auth tls.ClientAuthType, maxVersion uint16) *tls.Config {
		cfg := p.server.Clone()
		cfg.ClientAuth, cfg.ClientCAs, cfg.MaxVersion = auth, clientCAs, maxVersion
		return cfg
	}
	tests := []struct {
		name    string
		server  *tls.Config
		cert    *tls.Certificate
		wantErr error // nil: success
		text    string
	}{
		{name: "TLS 1.3 required, none given", server: server(tls.RequireAndVerifyClientCert, 0),
			wantErr: ErrClientCertificateRequired,
			text:    "TLS handshake: server requires a client certificate and none was configured: remote error: tls: certificate required"},
		{name: "TLS 1.2 required, none given", server: server(tls.RequireAndVerifyClientCert, tls.VersionTLS12),
			wantErr: ErrClientCertificateRequired,
			text:    "TLS handshake: server requires a client certificate and none was configured: remote error: tls: handshake failure"},
		{name: "TLS 1.3 required, given", server: server(tls.RequireAndVerifyClientCert, 0), cert: &good},
		{name: "TLS 1.2 required, given", server: server(tls.RequireAndVerifyClientCert, tls.VersionTLS12), cert: &good},
		{name: "TLS 1.3 required, unknown issuer", server: server(tls.RequireAndVerifyClientCert, 0), cert: &stranger,
			wantErr: ErrClientCertificateRejected, text: "server rejected the client certificate: remote error: tls:"},
		{name: "TLS 1.2 required, unknown issuer", server: server(tls.RequireAndVerifyClientCert, tls.VersionTLS12), cert: &stranger,
			wantErr: ErrClientCertificateRejected, text: "server rejected the client certificate: remote error: tls:"},
		{name: "requested, not required (PostgreSQL with ssl_ca_file)", server: server(tls.VerifyClientCertIfGiven, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := make(chan serverEvent, 1)
			srv := startPeer(t, pgServer(tt.server, false, 0, events))
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			res, err := Probe(ctx, Options{Address: srv.addr, ServerName: "db", Verifier: p.roots, ClientCertificate: tt.cert})
			ev := await(t, events)
			if tt.wantErr != nil {
				checkFailure(t, res, err, PhaseHandshake, []error{tt.wantErr}, []string{tt.text})
				if ev.err == nil {
					t.Error("server handshake succeeded")
				}
				return
			}
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if !res.ClientCertificateRequested || !res.Verified() {
				t.Errorf("ClientCertificateRequested = %v, Verified() = %v (%v)", res.ClientCertificateRequested, res.Verified(), res.VerifyErr())
			}
			if len(res.ClientCAs) != 1 || !bytes.Equal(res.ClientCAs[0], p.ca.Cert.RawSubject) {
				t.Errorf("ClientCAs = %q, want the CA's subject", res.ClientCAs)
			}
			if ev.err != nil {
				t.Fatalf("server handshake: %v", ev.err)
			}
			got := ev.state.PeerCertificates
			switch {
			case tt.cert == nil && len(got) != 0:
				t.Errorf("server received %d client certificates, want none", len(got))
			case tt.cert != nil && (len(got) != 1 || got[0].SerialNumber.Cmp(client.Cert.SerialNumber) != 0):
				t.Errorf("server did not receive the client certificate %v", client.Cert.SerialNumber)
			}
		})
	}
}

func TestHandshakeReasonForAlerts(t *testing.T) {
	remote := func(code tls.AlertError) error { return &net.OpError{Op: "remote error", Err: code} }
	tests := []struct {
		name                string
		err                 error
		requested, haveCert bool
		want                error
		notWant             error
	}{
		{"bad_certificate, no certificate asked for", remote(42), false, false, ErrHandshake, ErrClientCertificateRequired},
		{"bad_certificate, none given", remote(42), true, false, ErrClientCertificateRequired, nil},
		{"handshake_failure, none given", remote(40), true, false, ErrClientCertificateRequired, nil},
		{"unknown_ca, none given", remote(48), true, false, ErrHandshake, ErrClientCertificateRequired},
		{"unknown_ca, one given", remote(48), true, true, ErrClientCertificateRejected, nil},
		{"certificate_required, one given", remote(116), true, true, ErrClientCertificateRejected, nil},
		{"no_application_protocol", remote(120), false, false, ErrALPNNotNegotiated, nil},
		{"protocol_version", remote(70), true, false, ErrHandshake, ErrClientCertificateRequired},
		{"local error", errors.New("tls: unsupported certificate"), true, false, ErrHandshake, ErrClientCertificateRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := handshakeReason(t.Context(), tt.err, 0, NegotiationPostgres, tt.requested, tt.haveCert)
			if !errors.Is(err, tt.want) || (tt.notWant != nil && errors.Is(err, tt.notWant)) || !errors.Is(err, tt.err) {
				t.Errorf("handshakeReason = %v, want %v wrapping %v", err, tt.want, tt.err)
			}
		})
	}
	if a, ok := remoteAlert(remote(116)); !ok || a != 116 {
		t.Errorf("remoteAlert(116) = %v, %v", a, ok)
	}
	if _, ok := remoteAlert(&net.OpError{Op: "read", Err: tls.AlertError(42)}); ok {
		t.Error("remoteAlert accepts a local error")
	}
}
