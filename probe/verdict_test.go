package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"testing"
	"time"
)

// TestVerdictConn: before arm every read passes; once armed, the reads
// deliver the first record however the bytes are split, and then time out.
func TestVerdictConn(t *testing.T) {
	record := func(n int) []byte { return append([]byte{23, 3, 3, byte(n >> 8), byte(n)}, make([]byte, n)...) }
	for _, tc := range []struct {
		name   string
		chunks [][]byte // what the server writes, one write each
		reads  int      // bytes read before the timeout
	}{
		{"one record, one write", [][]byte{record(300)}, 305},
		{"two records, one write", [][]byte{append(record(300), record(20)...)}, 330},
		{"header split", [][]byte{{23, 3}, {3, 1}, append([]byte{44}, make([]byte, 300)...)}, 305},
		{"body split", [][]byte{record(300)[:100], record(300)[100:]}, 305},
		{"empty fragment", [][]byte{record(0)}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := net.Pipe()
			defer client.Close()
			defer server.Close()
			c := &verdictConn{Conn: client}
			go func() { _, _ = server.Write([]byte("S")) }()
			var b [1]byte
			if _, err := io.ReadFull(c, b[:]); err != nil || b[0] != 'S' {
				t.Fatalf("read before arm: %q %v", b, err)
			}
			c.arm()
			go func() {
				for _, chunk := range tc.chunks {
					if _, err := server.Write(chunk); err != nil {
						return
					}
				}
			}()
			total := 0
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				total += n
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break
				}
				if err != nil {
					t.Fatalf("read: %v", err)
				}
			}
			if total != tc.reads {
				t.Fatalf("read %d bytes before the timeout, want %d", total, tc.reads)
			}
		})
	}
}

// TestProbeOffersSessionTickets: the probe's ClientHello offers session
// tickets (psk_key_exchange_modes, 45), so that a TLS 1.3 server that
// follows RFC 8446 sends one once it has accepted the client, which ends
// the wait for its verdict; the probe still resumes nothing.
func TestProbeOffersSessionTickets(t *testing.T) {
	p := newPKI(t)
	extensions := make(chan []uint16, 2)
	cfg := p.server.Clone()
	cfg.ClientAuth = tls.VerifyClientCertIfGiven
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		extensions <- hello.Extensions
		return nil, nil
	}
	srv := startPeer(t, pgServer(cfg, false, 0, nil))
	for i := range 2 {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		res, err := Probe(ctx, Options{Address: srv.addr, ServerName: "db", Verifier: p.roots})
		cancel()
		if err != nil || !res.Verified() || !res.ClientCertificateRequested {
			t.Fatalf("probe %d: %v, verify %v, requested %v", i, err, res.VerifyErr(), res.ClientCertificateRequested)
		}
		offered := <-extensions
		if !slices.Contains(offered, 45) {
			t.Fatalf("probe %d: ClientHello extensions %v lack psk_key_exchange_modes (45)", i, offered)
		}
		if slices.Contains(offered, 41) {
			t.Fatalf("probe %d: ClientHello offers a session to resume (pre_shared_key, 41): %v", i, offered)
		}
	}
}
