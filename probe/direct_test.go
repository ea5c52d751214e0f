package probe

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

func TestProbeDirect(t *testing.T) {
	p := newPKI(t)
	withALPN := p.server.Clone()
	withALPN.NextProtos = []string{"postgresql"}
	otherALPN := p.server.Clone()
	otherALPN.NextProtos = []string{"h2"}

	t.Run("server speaks ALPN postgresql", func(t *testing.T) {
		events := make(chan serverEvent, 1)
		srv := startPeer(t, pgServer(withALPN, true, 0, events))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		res, err := Probe(ctx, Options{Address: srv.addr, ServerName: "db", Verifier: p.roots, Negotiation: NegotiationDirect})
		if err != nil {
			t.Fatalf("Probe: %v", err)
		}
		ev := await(t, events)
		if ev.err != nil || ev.first != 0x16 {
			t.Fatalf("server: handshake error %v, first byte %#x, want nil and 0x16 (no SSLRequest)", ev.err, ev.first)
		}
		if res.NegotiatedProtocol != "postgresql" || ev.state.NegotiatedProtocol != "postgresql" {
			t.Errorf("NegotiatedProtocol = %q, server saw %q, want postgresql", res.NegotiatedProtocol, ev.state.NegotiatedProtocol)
		}
		if !res.Verified() || res.TLSVersion != "TLSv1.3" || res.PeerCertificates[0].SerialNumber.Cmp(p.leaf.Cert.SerialNumber) != 0 {
			t.Errorf("Result = %+v", res)
		}
		if len(ev.after) != 0 || ev.endErr == nil || ev.endErr.Error() != "EOF" {
			t.Errorf("after the handshake: sent % x, ended with %v; want nothing and close_notify", ev.after, ev.endErr)
		}
	})

	failures := []struct {
		name   string
		handle func(net.Conn)
		text   []string
		is     []error
	}{
		{"server ignores ALPN", pgServer(p.server, true, 0, nil),
			[]string{`TLS handshake: server did not negotiate ALPN protocol "postgresql": the server chose no ALPN protocol (it does not support direct TLS`},
			[]error{ErrALPNNotNegotiated}},
		{"server wants another protocol", pgServer(otherALPN, true, 0, nil),
			[]string{`TLS handshake: server did not negotiate ALPN protocol "postgresql" (the server refused it): remote error: tls: no application protocol`},
			[]error{ErrALPNNotNegotiated}},
		{"server without direct TLS answers with an error", plainError,
			[]string{"TLS handshake: tls: first record does not look like a TLS handshake (the server answered without TLS; servers without direct TLS, PostgreSQL before 17 or PgBouncer before 1.25, do this: try negotiation postgres)"},
			[]error{ErrHandshake}},
		{"server without direct TLS drops the connection", answer(nil, false),
			[]string{"TLS handshake: server closed the connection: ", "(servers without direct TLS, PostgreSQL before 17 or PgBouncer before 1.25, do this: try negotiation postgres)"},
			[]error{ErrConnectionClosed}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			srv := startPeer(t, tt.handle)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			res, err := Probe(ctx, Options{Address: srv.addr, ServerName: "db", Verifier: p.roots, Negotiation: NegotiationDirect})
			checkFailure(t, res, err, PhaseHandshake, tt.is, tt.text)
		})
	}
}

// plainError reads the first TLS record as PgBouncer 1.18 reads a startup
// packet, answers with a protocol error and closes.
func plainError(c net.Conn) {
	var header [5]byte
	if _, err := io.ReadFull(c, header[:]); err != nil {
		return
	}
	_, _ = io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint16(header[3:])))
	msg := append([]byte{'E'}, errorResponse("SFATAL", "C08P01", "Mclient sent partial pkt in startup phase")...)
	_, _ = c.Write(msg)
}
