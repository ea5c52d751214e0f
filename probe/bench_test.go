package probe

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"testing"
)

// The benchmarks handshake with an in-process server using the same
// certificate for both: BenchmarkBareTLSHandshake is the floor (dial,
// SSLRequest, crypto/tls handshake with standard verification), and
// BenchmarkProbeLocal adds what Probe does on top (context handling,
// separate verification, goodbye, result), verifying the chain on every
// probe ("verified") or remembering it across probes as the exporter does
// ("remembered"). Target: Probe within 10% of the bare handshake in time
// and allocations of the same order when verifying every time.

func benchServer(b *testing.B, direct bool) (*pki, string) {
	p := newPKI(b)
	cfg := p.server.Clone()
	cfg.NextProtos = []string{alpnProtocol}
	srv := startPeer(b, pgServer(cfg, direct, 0, nil))
	return p, srv.addr
}

func BenchmarkProbeLocal(b *testing.B) {
	for _, n := range Negotiations() {
		for _, remember := range []bool{false, true} {
			name := string(n) + "/verified"
			if remember {
				name = string(n) + "/remembered"
			}
			b.Run(name, func(b *testing.B) {
				p, addr := benchServer(b, n == NegotiationDirect)
				opts := Options{Address: addr, ServerName: "db", Verifier: p.roots, Negotiation: n}
				if remember {
					opts.Verified = NewVerifiedChains()
				}
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					res, err := Probe(ctx, opts)
					if err != nil || !res.Verified() {
						b.Fatalf("Probe: %v %v", err, res.VerifyErr())
					}
				}
			})
		}
	}
}

func BenchmarkBareTLSHandshake(b *testing.B) {
	for _, n := range Negotiations() {
		b.Run(string(n), func(b *testing.B) {
			p, addr := benchServer(b, n == NegotiationDirect)
			cfg := &tls.Config{ServerName: "db", RootCAs: p.pool, NextProtos: []string{alpnProtocol}}
			b.ReportAllocs()
			for b.Loop() {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				if n == NegotiationPostgres {
					var reply [1]byte
					if _, err := io.WriteString(conn, sslRequest); err != nil {
						b.Fatal(err)
					}
					if _, err := io.ReadFull(conn, reply[:]); err != nil || reply[0] != 'S' {
						b.Fatalf("reply %q: %v", reply[0], err)
					}
				}
				tc := tls.Client(conn, cfg)
				if err := tc.Handshake(); err != nil {
					b.Fatal(err)
				}
				_ = tc.Close()
			}
		})
	}
}
