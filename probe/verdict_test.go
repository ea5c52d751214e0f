package probe

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
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
