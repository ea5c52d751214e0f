package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func FuzzSSLResponse(f *testing.F) {
	for _, b := range []byte{'S', 'N', 'E', 'X', 0, 0x15, 0x16, 0xff} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b byte) {
		err := parseSSLResponse(b)
		switch b {
		case 'S':
			if err != nil {
				t.Fatalf("'S' = %v, want nil", err)
			}
		case 'N':
			if !errors.Is(err, ErrNoTLS) {
				t.Fatalf("'N' = %v, want ErrNoTLS", err)
			}
		default:
			var re *ReplyError
			if !errors.As(err, &re) || re.Reply != b || !errors.Is(err, ErrUnexpectedReply) || errors.Is(err, ErrNoTLS) {
				t.Fatalf("%#x = %v, want a *ReplyError", b, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("byte 0x%02x", b)) {
				t.Fatalf("%q does not name the byte", err)
			}
		}
	})
}

func FuzzServerMessage(f *testing.F) {
	f.Add(errorResponse("SFATAL", "C53300", "Msorry, too many clients already"))
	f.Add([]byte("could not fork new process for connection\x00"))
	f.Add([]byte{0, 0, 0, 5, 0})
	f.Add([]byte{0, 0, 0x08, 0, 'M'})
	f.Add([]byte("\x1b[31mred\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, _ := parseServerMessage(data)
		if !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8 %q", text)
		}
		if n := utf8.RuneCountInString(text); n > maxMessageText+1 {
			t.Fatalf("%d runes, want at most %d", n, maxMessageText+1)
		}
		for _, r := range text {
			if !unicode.IsPrint(r) && r != ' ' {
				t.Fatalf("unprintable %q in %q", r, text)
			}
		}
		if strings.TrimSpace(text) != text {
			t.Fatalf("untrimmed %q", text)
		}
	})
}

// FuzzProbeReply runs Probe against a server that answers the SSLRequest
// with fuzzed bytes and closes: whatever the bytes, Probe must fail
// promptly with a classified error and leave nothing behind.
func FuzzProbeReply(f *testing.F) {
	for _, s := range []string{"", "S", "N", "E", "X", "SS", "S\x16\x03\x01\x00\x00",
		"S\x16\x03\x03\x40\x00", "S\x15\x03\x03\x00\x02\x02\x28", "E\x00\x00\x00\x08M\x00\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		srv := startPeer(t, answer(reply, false))
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		start := time.Now()
		res, err := Probe(ctx, Options{Address: srv.addr, ServerName: "db"})
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("Probe took %v", elapsed)
		}
		if err == nil {
			t.Fatalf("Probe succeeded against % x: %+v", reply, res)
		}
		pe := asError(t, err)
		switch {
		case len(reply) == 0:
			if pe.Phase != PhaseSSLReply || !errors.Is(err, ErrConnectionClosed) {
				t.Fatalf("no reply: %v", err)
			}
		case reply[0] == 'N':
			if !errors.Is(err, ErrNoTLS) {
				t.Fatalf("'N': %v", err)
			}
		case reply[0] != 'S':
			var re *ReplyError
			if !errors.As(err, &re) || re.Reply != reply[0] || pe.Phase != PhaseSSLReply {
				t.Fatalf("%#x: %v", reply[0], err)
			}
		default:
			if pe.Phase != PhaseHandshake {
				t.Fatalf("'S': phase %q: %v", pe.Phase, err)
			}
		}
	})
}
