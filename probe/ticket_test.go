package probe

import (
	"errors"
	"net"
	"os"
	"testing"
)

// TestTicketSignal: a ticket before arm (TLS 1.2, during the handshake)
// changes nothing; a ticket after arm ends a pending read at once.
func TestTicketSignal(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	sig := &ticketSignal{conn: client}
	if s, ok := sig.Get("x"); s != nil || ok {
		t.Fatal("the cache must never offer a session")
	}

	sig.Put("x", nil) // not armed: no deadline
	go func() { _, _ = server.Write([]byte{1}) }()
	var b [1]byte
	if _, err := client.Read(b[:]); err != nil {
		t.Fatalf("read before arm: %v", err)
	}

	sig.arm()
	done := make(chan error, 1)
	go func() {
		_, err := client.Read(b[:])
		done <- err
	}()
	sig.Put("x", nil)
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after an armed ticket: %v, want a deadline error", err)
	}
}
