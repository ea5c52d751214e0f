package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestNegotiations(t *testing.T) {
	got := Negotiations()
	want := []Negotiation{"postgres", "direct"}
	if !slices.Equal(got, want) {
		t.Fatalf("Negotiations() = %v, want %v", got, want)
	}
	for _, n := range got {
		if !n.Valid() {
			t.Errorf("%q.Valid() = false", n)
		}
	}
	for _, n := range []Negotiation{"", "Postgres", "gssapi", "tls"} {
		if n.Valid() {
			t.Errorf("%q.Valid() = true", n)
		}
	}
	got[0] = "changed"
	if Negotiations()[0] != NegotiationPostgres {
		t.Error("Negotiations returns a shared slice")
	}
}

func TestProbeInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"empty address", Options{}, "invalid probe options: address is empty"},
		{"no port", Options{Address: "db"}, "invalid probe options: address db: missing port in address"},
		{"unknown negotiation", Options{Address: "db:5432", Negotiation: "gssapi"},
			`invalid probe options: unknown negotiation "gssapi" (supported: [postgres direct])`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Probe(t.Context(), tt.opts)
			if !errors.Is(err, ErrInvalidOptions) || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q wrapping ErrInvalidOptions", err, tt.want)
			}
		})
	}
}

func TestProbeHealthy(t *testing.T) {
	p := newPKI(t)
	tls12 := p.server.Clone()
	tls12.MaxVersion = tls.VersionTLS12
	withALPN := p.server.Clone()
	withALPN.NextProtos = []string{"postgresql"}
	tests := []struct {
		name        string
		server      *tls.Config
		serverName  string
		wantVersion string
		wantALPN    string
	}{
		{"TLS 1.3", p.server, "db", "TLSv1.3", ""},
		{"TLS 1.2", tls12, "db", "TLSv1.2", ""},
		{"server offers ALPN", withALPN, "db", "TLSv1.3", "postgresql"},
		{"IP address as server name", p.server, "127.0.0.1", "TLSv1.3", ""},
		{"server name from address", p.server, "", "TLSv1.3", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := make(chan serverEvent, 1)
			srv := startPeer(t, pgServer(tt.server, false, 50*time.Millisecond, events))
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			start := time.Now()
			res, err := Probe(ctx, Options{Address: srv.addr, ServerName: tt.serverName, Verifier: p.roots})
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			ev := await(t, events)

			if string(ev.request) != sslRequest {
				t.Errorf("server received % x before answering, want the SSLRequest % x", ev.request, sslRequest)
			}
			if len(ev.early) != 0 {
				t.Errorf("client sent % x after the SSLRequest before the answer", ev.early)
			}
			if ev.first != 0x16 {
				t.Errorf("first byte after the answer = %#x, want 0x16 (TLS handshake record)", ev.first)
			}
			if ev.err != nil {
				t.Fatalf("server handshake: %v", ev.err)
			}
			if len(ev.after) != 0 || ev.endErr != io.EOF {
				t.Errorf("after the handshake the client sent % x and ended with %v, want nothing and close_notify (io.EOF)",
					ev.after, ev.endErr)
			}

			if !res.Verified() || res.VerifyErr() != nil {
				t.Errorf("Verified() = false, VerifyErr = %v", res.VerifyErr())
			}
			if res.TLSVersion != tt.wantVersion {
				t.Errorf("TLSVersion = %q, want %q", res.TLSVersion, tt.wantVersion)
			}
			if want := tls.CipherSuiteName(ev.state.CipherSuite); res.CipherSuite == "" || res.CipherSuite != want {
				t.Errorf("CipherSuite = %q, server saw %q", res.CipherSuite, want)
			}
			if want := groupName(ev.state.CurveID); res.KeyExchangeGroup == "" || res.KeyExchangeGroup != want {
				t.Errorf("KeyExchangeGroup = %q, server saw %q", res.KeyExchangeGroup, want)
			}
			if res.NegotiatedProtocol != tt.wantALPN {
				t.Errorf("NegotiatedProtocol = %q, want %q", res.NegotiatedProtocol, tt.wantALPN)
			}
			if len(res.PeerCertificates) != 1 || res.PeerCertificates[0].SerialNumber.Cmp(p.leaf.Cert.SerialNumber) != 0 {
				t.Errorf("PeerCertificates = %d certs, want the leaf with serial %v", len(res.PeerCertificates), p.leaf.Cert.SerialNumber)
			}
			if res.ClientCertificateRequested {
				t.Error("ClientCertificateRequested = true, the server asked for none")
			}
			if res.Duration <= 0 || res.Duration > elapsed {
				t.Errorf("Duration = %v, want in (0, %v]", res.Duration, elapsed)
			}
			if sni := ev.state.ServerName; tt.serverName == "db" && sni != "db" {
				t.Errorf("server saw SNI %q, want db", sni)
			}
		})
	}
}

func TestVersionAndGroupNames(t *testing.T) {
	versions := map[uint16]string{
		tls.VersionTLS10: "TLSv1", tls.VersionTLS11: "TLSv1.1",
		tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3", 0x7f00: "0x7F00",
	}
	for v, want := range versions {
		if got := versionName(v); got != want {
			t.Errorf("versionName(%#x) = %q, want %q", v, got, want)
		}
	}
	groups := map[tls.CurveID]string{
		0: "", tls.X25519: "X25519", tls.CurveP256: "P256", tls.CurveP384: "P384",
		tls.X25519MLKEM768: "X25519MLKEM768",
	}
	for id, want := range groups {
		if got := groupName(id); got != want {
			t.Errorf("groupName(%d) = %q, want %q", id, got, want)
		}
	}
}

func TestResultVerifiedNeedsCertificate(t *testing.T) {
	if (Result{}).Verified() {
		t.Error("zero Result reports Verified")
	}
}

func TestErrorText(t *testing.T) {
	err := &Error{Address: "db:5432", Phase: PhaseSSLReply, Err: ErrNoTLS}
	const want = "probe db:5432: waiting for the SSLRequest reply: server does not offer TLS (answered N to SSLRequest)"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if err.Timeout() || !errors.Is(err, ErrNoTLS) {
		t.Error("Timeout() or Is(ErrNoTLS) wrong")
	}
	if !strings.HasPrefix((&Error{Address: "a:1", Phase: "custom", Err: io.EOF}).Error(), "probe a:1: custom: EOF") {
		t.Error("unknown phase not spelled as is")
	}
}

// TestProbeOffersClassicalGroups: a probe offers X25519, P-256 and P-384,
// no post-quantum share: servers on OpenSSL before 3.5 cannot use one, and
// generating it costs every probe.
func TestProbeOffersClassicalGroups(t *testing.T) {
	p := newPKI(t)
	offered := make(chan []tls.CurveID, 1)
	cfg := p.server.Clone()
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		offered <- hello.SupportedCurves
		return nil, nil
	}
	srv := startPeer(t, pgServer(cfg, false, 0, nil))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	res, err := Probe(ctx, Options{Address: srv.addr, ServerName: "db", Verifier: p.roots})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-offered; !slices.Equal(got, []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}) {
		t.Fatalf("offered groups %v", got)
	}
	if res.KeyExchangeGroup != "X25519" {
		t.Fatalf("negotiated %s", res.KeyExchangeGroup)
	}
}
