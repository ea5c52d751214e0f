package probe

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// errorResponse builds a protocol 3 ErrorResponse body (after the 'E').
func errorResponse(fields ...string) []byte {
	body := []byte{0, 0, 0, 0}
	for _, f := range fields {
		body = append(body, f...)
		body = append(body, 0)
	}
	body = append(body, 0)
	n := len(body)
	body[0], body[1], body[2], body[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return body
}

func TestProbeFailures(t *testing.T) {
	// slack is how late a probe may return after its deadline or cancel on
	// a loaded machine. It stays far below the deadlines of the cases that
	// must return at once (4*slack), so those still fail if the probe waits.
	const slack = 5 * time.Second
	p := newPKI(t)
	tooMany := append([]byte{'E'}, errorResponse("SFATAL", "VFATAL", "C53300", "Msorry, too many clients already")...)
	tests := []struct {
		name      string
		handle    func(net.Conn)
		timeout   time.Duration
		cancel    time.Duration // cancel the context after this long
		wantPhase Phase
		wantIs    []error
		wantText  []string
		minTime   time.Duration
		maxTime   time.Duration
	}{
		{name: "never answers the SSLRequest", handle: silent, timeout: 300 * time.Millisecond,
			wantPhase: PhaseSSLReply, wantIs: []error{ErrTimeout, context.DeadlineExceeded},
			wantText: []string{"waiting for the SSLRequest reply: timed out after ", "context deadline exceeded"},
			minTime:  300 * time.Millisecond, maxTime: 300*time.Millisecond + slack},
		{name: "canceled while waiting for the reply", handle: silent, cancel: 100 * time.Millisecond,
			wantPhase: PhaseSSLReply, wantIs: []error{context.Canceled},
			wantText: []string{"waiting for the SSLRequest reply: canceled after", "context canceled"},
			minTime:  100 * time.Millisecond, maxTime: 100*time.Millisecond + slack},
		{name: "answers N", handle: answer([]byte("N"), true),
			wantPhase: PhaseSSLReply, wantIs: []error{ErrNoTLS},
			wantText: []string{"waiting for the SSLRequest reply: server does not offer TLS (answered N to SSLRequest)"}},
		{name: "answers X", handle: answer([]byte("X"), true),
			wantPhase: PhaseSSLReply, wantIs: []error{ErrUnexpectedReply},
			wantText: []string{"unexpected reply to SSLRequest: byte 0x58 ('X'), expected 'S' or 'N'"}},
		{name: "answers with a NUL byte", handle: answer([]byte{0}, false),
			wantPhase: PhaseSSLReply, wantIs: []error{ErrUnexpectedReply},
			wantText: []string{"byte 0x00, expected 'S' or 'N'"}},
		{name: "answers with an ErrorResponse", handle: answer(tooMany, false),
			wantPhase: PhaseSSLReply, wantIs: []error{ErrUnexpectedReply},
			wantText: []string{"byte 0x45 ('E'), the server sent an error message: FATAL: sorry, too many clients already (SQLSTATE 53300)"}},
		{name: "answers with a protocol 2 error", handle: answer([]byte("Ecould not fork new process for connection: Resource temporarily unavailable\n\x00"), false),
			wantPhase: PhaseSSLReply, wantIs: []error{ErrUnexpectedReply},
			wantText: []string{"the server sent an error message: could not fork new process for connection: Resource temporarily unavailable"}},
		{name: "answers E then garbage and stays", handle: answer([]byte("E\xff\xfe\x01\x02junk"), true), timeout: 4 * slack,
			wantPhase: PhaseSSLReply, wantIs: []error{ErrUnexpectedReply},
			wantText: []string{"byte 0x45 ('E'), the server sent an error message: "},
			maxTime:  slack},
		{name: "answers E and nothing more", handle: answer([]byte("E"), true), timeout: 4 * slack,
			wantPhase: PhaseSSLReply, wantIs: []error{ErrUnexpectedReply},
			wantText: []string{"byte 0x45 ('E'), the server sent an error message instead of answering"},
			maxTime:  slack},
		{name: "answers with a TLS alert", handle: answer([]byte("\x15\x03\x01\x00\x02\x02\x46"), false),
			wantPhase: PhaseSSLReply, wantIs: []error{ErrUnexpectedReply},
			wantText: []string{"byte 0x15, looks like a TLS record: the server expects TLS right away (try negotiation direct)"}},
		{name: "closes after reading the request", handle: answer(nil, false),
			wantPhase: PhaseSSLReply, wantIs: []error{ErrConnectionClosed},
			wantText: []string{"waiting for the SSLRequest reply: server closed the connection: EOF (servers that expect TLS right away do this: try negotiation direct)"}},
		{name: "closes mid-handshake", handle: closeMidHandshake,
			wantPhase: PhaseHandshake, wantIs: []error{ErrConnectionClosed},
			wantText: []string{"TLS handshake: server closed the connection: EOF"}},
		{name: "answers S then plain text", handle: answer([]byte("SHTTP/1.1 400 Bad Request\r\n\r\n"), false),
			wantPhase: PhaseHandshake, wantIs: []error{ErrHandshake},
			wantText: []string{"TLS handshake: tls: first record does not look like a TLS handshake"}},
		{name: "answers S then stalls", handle: answer([]byte("S"), true), timeout: 300 * time.Millisecond,
			wantPhase: PhaseHandshake, wantIs: []error{ErrTimeout, context.DeadlineExceeded},
			wantText: []string{"TLS handshake: timed out after "},
			minTime:  300 * time.Millisecond, maxTime: 300*time.Millisecond + slack},
		{name: "TLS server without the SSLRequest step", handle: pgServer(p.server, true, 0, nil),
			wantPhase: PhaseSSLReply, wantIs: []error{ErrConnectionClosed},
			wantText: []string{"try negotiation direct"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startPeer(t, tt.handle)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			// The stopwatch starts before the deadline and the cancel timer,
			// so neither can fire before minTime has passed.
			start := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			if tt.cancel > 0 {
				time.AfterFunc(tt.cancel, cancel)
			}
			res, err := Probe(ctx, Options{Address: srv.addr, ServerName: "db", Verifier: p.roots})
			elapsed := time.Since(start)
			checkFailure(t, res, err, tt.wantPhase, tt.wantIs, tt.wantText)
			if elapsed < tt.minTime || (tt.maxTime > 0 && elapsed > tt.maxTime) {
				t.Errorf("Probe took %v, want between %v and %v", elapsed, tt.minTime, tt.maxTime)
			}
		})
	}
}

// checkFailure asserts a failed probe: zero Result, *Error with the phase,
// every sentinel in wantIs and every text in wantText.
func checkFailure(tb testing.TB, res Result, err error, phase Phase, wantIs []error, wantText []string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("Probe succeeded (%+v), want an error", res)
	}
	if res.PeerCertificates != nil || res.TLSVersion != "" || res.Verified() {
		tb.Errorf("failed probe returned a non-zero Result %+v", res)
	}
	tb.Logf("error: %v", err)
	pe := asError(tb, err)
	if pe.Phase != phase {
		tb.Errorf("Phase = %q, want %q (error: %v)", pe.Phase, phase, err)
	}
	for _, target := range wantIs {
		if !errors.Is(err, target) {
			tb.Errorf("errors.Is(%v, %v) = false", err, target)
		}
	}
	for _, text := range wantText {
		if !strings.Contains(err.Error(), text) {
			tb.Errorf("error %q does not contain %q", err, text)
		}
	}
	if pe.Timeout() != errors.Is(err, ErrTimeout) {
		tb.Errorf("Timeout() = %v disagrees with errors.Is(ErrTimeout)", pe.Timeout())
	}
}

func TestProbeReplyErrorAs(t *testing.T) {
	srv := startPeer(t, answer([]byte("X"), false))
	_, err := Probe(t.Context(), Options{Address: srv.addr})
	var re *ReplyError
	if !errors.As(err, &re) || re.Reply != 'X' || re.ServerMessage != "" {
		t.Fatalf("errors.As(%v, *ReplyError) = %+v", err, re)
	}
}

func TestProbeDialFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()

	t.Run("nothing listening", func(t *testing.T) {
		res, err := Probe(t.Context(), Options{Address: closed})
		checkFailure(t, res, err, PhaseDial, []error{syscall.ECONNREFUSED}, []string{"probe " + closed + ": dial: ", "connection refused"})
	})
	t.Run("deadline already passed", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
		defer cancel()
		res, err := Probe(ctx, Options{Address: closed})
		checkFailure(t, res, err, PhaseDial, []error{ErrTimeout, context.DeadlineExceeded}, []string{": dial: timed out after"})
	})
	t.Run("custom dialer", func(t *testing.T) {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}
		res, err := Probe(t.Context(), Options{Address: closed, Dialer: d})
		checkFailure(t, res, err, PhaseDial, []error{syscall.ECONNREFUSED}, nil)
	})
}
