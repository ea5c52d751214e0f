package tlsscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/probe"
)

// open makes the scan's next connection to the server, for what ("TLSv1.2
// hello"): it waits until opts.Interval has passed since the last one,
// bounds the exchange by opts.Timeout, dials and, unless direct, has the
// server agree to TLS with an SSLRequest. The returned context is the
// exchange's; done closes the connection and releases the context.
func (s *scanner) open(ctx context.Context, what string) (net.Conn, context.Context, func(), error) {
	if wait := s.opts.Interval - time.Since(s.last); s.handshakes > 0 && wait > 0 {
		select {
		case <-ctx.Done():
			return nil, nil, nil, fmt.Errorf("scan %s: before connection %d (%s): %w", s.opts.Address, s.handshakes+1, what, context.Cause(ctx))
		case <-time.After(wait):
		}
	}
	s.last = time.Now()
	s.handshakes++
	cancel := context.CancelFunc(func() {})
	if s.opts.Timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, s.opts.Timeout,
			fmt.Errorf("no answer within %s: %w", s.opts.Timeout, context.DeadlineExceeded))
	}
	dialer := s.opts.Dialer
	if dialer == nil {
		dialer = &net.Dialer{}
	}
	conn, err := dialer.DialContext(ctx, "tcp", s.opts.Address)
	if err != nil {
		err = s.failed(ctx, what, "dial", err)
		cancel()
		return nil, nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	done := func() {
		stop()
		_ = conn.Close()
		cancel()
	}
	if s.opts.Direct {
		return conn, ctx, done, nil
	}
	deadline, _ := ctx.Deadline()
	phase, err := probe.RequestSSL(conn, deadline)
	if err != nil {
		step := "waiting for the answer to the SSLRequest"
		switch {
		case phase == probe.PhaseSSLRequest:
			step = "sending the SSLRequest"
		case errors.Is(err, probe.ErrNoTLS) || errors.Is(err, probe.ErrUnexpectedReply):
			step = "" // the server answered: its answer is the reason
		}
		err = s.failed(ctx, what, step, err)
		done()
		return nil, nil, nil, err
	}
	return conn, ctx, done, nil
}

// failed explains why the current connection's exchange failed: which
// connection, for what, in which step, and why: the cause of the
// context's end when it ended (the per-connection timeout, or the scan's
// own end), the server closing the connection, or err.
func (s *scanner) failed(ctx context.Context, what, step string, err error) error {
	where := fmt.Sprintf("scan %s: connection %d (%s)", s.opts.Address, s.handshakes, what)
	if step != "" {
		where += ": " + step
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", where, context.Cause(ctx))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%s: no answer in time: %w", where, err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("%s: %w", where, closedError{err})
	}
	return fmt.Errorf("%s: %w", where, err)
}

// closedError is the server closing or resetting the connection, which
// one being a matter of timing.
type closedError struct{ err error }

func (e closedError) Error() string { return "the server closed the connection" }
func (e closedError) Unwrap() error { return e.err }
