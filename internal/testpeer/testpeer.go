// Package testpeer runs small in-process TCP servers on loopback that
// behave like broken or hostile PostgreSQL servers, for tests of the probe
// and of what it reports.
package testpeer

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every read and write of a peer, so that a broken test
// fails instead of hanging.
const Timeout = 5 * time.Second

// SSLRequest is the 8 bytes a client sends to ask for TLS.
const SSLRequest = "\x00\x00\x00\x08\x04\xd2\x16\x2f"

// Peer is a TCP server on 127.0.0.1 that runs its handler for every
// connection. Cleanup closes the listener and every connection and waits
// for all handlers, so no goroutine outlives the test.
type Peer struct {
	Addr  string
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Start starts a peer that runs handle for each connection.
func Start(tb testing.TB, handle func(net.Conn)) *Peer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	p := &Peer{Addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns[c] = struct{}{}
			p.mu.Unlock()
			p.wg.Go(func() {
				defer func() {
					p.mu.Lock()
					delete(p.conns, c)
					p.mu.Unlock()
					_ = c.Close()
				}()
				_ = c.SetDeadline(time.Now().Add(Timeout))
				handle(c)
			})
		}
	})
	tb.Cleanup(p.close)
	return p
}

func (p *Peer) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// ReadRequest reads the 8 bytes a probe sends first.
func ReadRequest(c net.Conn) ([]byte, error) {
	b := make([]byte, len(SSLRequest))
	_, err := io.ReadFull(c, b)
	return b, err
}

// Drain reads until the client goes away.
func Drain(c io.Reader) { _, _ = io.Copy(io.Discard, c) }

// Silent reads the SSLRequest and never answers.
func Silent(c net.Conn) {
	if _, err := ReadRequest(c); err == nil {
		Drain(c)
	}
}

// Answer reads the SSLRequest, writes reply and, if hold, waits for the
// client to go away before closing.
func Answer(reply []byte, hold bool) func(net.Conn) {
	return func(c net.Conn) {
		if _, err := ReadRequest(c); err != nil {
			return
		}
		_, _ = c.Write(reply)
		if hold {
			Drain(c)
		}
	}
}

// TLSAfterS reads the SSLRequest, answers 'S' and completes a TLS
// handshake with cfg, then reads until the client goes away.
func TLSAfterS(cfg *tls.Config) func(net.Conn) {
	return func(c net.Conn) {
		if _, err := ReadRequest(c); err != nil {
			return
		}
		if _, err := c.Write([]byte{'S'}); err != nil {
			return
		}
		ts := tls.Server(c, cfg)
		if ts.Handshake() == nil {
			Drain(ts)
		}
	}
}
