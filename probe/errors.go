package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Sentinel errors. Probe wraps them in an *Error, so test for them with
// errors.Is.
var (
	// ErrInvalidOptions means Probe was called with unusable Options.
	ErrInvalidOptions = errors.New("invalid probe options")
	// ErrNoTLS means the server answered 'N' to the SSLRequest: it is up but
	// has TLS switched off (PostgreSQL ssl=off, PgBouncer client_tls_sslmode=disable).
	ErrNoTLS = errors.New("server does not offer TLS (answered N to SSLRequest)")
	// ErrUnexpectedReply means the server answered the SSLRequest with a byte
	// other than 'S' or 'N'. The concrete error is a *ReplyError.
	ErrUnexpectedReply = errors.New("unexpected reply to SSLRequest")
	// ErrConnectionClosed means the server closed (or reset) the connection
	// before a TLS session was established. Error.Phase says when.
	ErrConnectionClosed = errors.New("server closed the connection")
	// ErrTimeout means the context deadline passed before a TLS session was
	// established. Error.Phase says which step was waiting.
	ErrTimeout = errors.New("timed out")
	// ErrHandshake means the TLS handshake failed for a reason none of the
	// more specific sentinels below covers; the TLS error is wrapped.
	ErrHandshake = errors.New("TLS handshake failed")
	// ErrClientCertificateRequired means the server demands a client
	// certificate and Options.ClientCertificate was nil.
	ErrClientCertificateRequired = errors.New("server requires a client certificate and none was configured")
	// ErrClientCertificateRejected means the server asked for a client
	// certificate and refused the one in Options.ClientCertificate.
	ErrClientCertificateRejected = errors.New("server rejected the client certificate")
	// ErrALPNNotNegotiated means a direct TLS handshake did not agree on the
	// ALPN protocol "postgresql", which PostgreSQL 17+ and PgBouncer 1.25+
	// require for direct TLS.
	ErrALPNNotNegotiated = errors.New(`server did not negotiate ALPN protocol "postgresql"`)
	// ErrUnsupportedKeyType means the server refused the handshake because
	// its key is of a type Go's TLS cannot negotiate (Ed448, RSA-PSS),
	// which libpq can: the server is not known to be broken.
	ErrUnsupportedKeyType = errors.New("key type not supported by the probe")
)

// Phase names the step of a probe that failed.
type Phase string

// The steps of a probe, in order. PhaseSSLRequest and PhaseSSLReply happen
// only with NegotiationPostgres.
const (
	PhaseDial       Phase = "dial"             // TCP connect
	PhaseSSLRequest Phase = "sslrequest"       // sending the 8-byte SSLRequest
	PhaseSSLReply   Phase = "sslrequest_reply" // waiting for the 1-byte answer
	PhaseHandshake  Phase = "handshake"        // TLS handshake, ALPN and client certificate checks
)

// describe turns a phase into words for error messages.
func (p Phase) describe() string {
	switch p {
	case PhaseDial:
		return "dial"
	case PhaseSSLRequest:
		return "sending SSLRequest"
	case PhaseSSLReply:
		return "waiting for the SSLRequest reply"
	case PhaseHandshake:
		return "TLS handshake"
	default:
		return string(p)
	}
}

// Error is the error Probe returns when no TLS session was established.
type Error struct {
	Address string // Options.Address
	Phase   Phase  // the step that failed
	Err     error  // the reason; wraps one of the sentinel errors where one fits
}

// Error returns "probe ADDRESS: PHASE: REASON".
func (e *Error) Error() string {
	return "probe " + e.Address + ": " + e.Phase.describe() + ": " + e.Err.Error()
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the probe ran out of time (net.Error style).
func (e *Error) Timeout() bool { return errors.Is(e.Err, ErrTimeout) }

// ReplyError is the reason for an answer to SSLRequest other than 'S' or 'N'.
// errors.Is(err, ErrUnexpectedReply) is true for it.
type ReplyError struct {
	// Reply is the byte the server sent.
	Reply byte
	// ServerMessage is the server's own error text when Reply is 'E' and the
	// text could be read; cleaned of control characters and shortened.
	ServerMessage string
}

// Error describes the reply with a hint on what kind of server sends it.
func (e *ReplyError) Error() string {
	s := fmt.Sprintf("%v: byte 0x%02x", ErrUnexpectedReply, e.Reply)
	if e.Reply >= 0x20 && e.Reply < 0x7f {
		s += fmt.Sprintf(" (%q)", rune(e.Reply))
	}
	switch {
	case e.Reply == 'E' && e.ServerMessage != "":
		return s + ", the server sent an error message: " + e.ServerMessage
	case e.Reply == 'E':
		return s + ", the server sent an error message instead of answering"
	case e.Reply == 0x15 || e.Reply == 0x16:
		return s + ", looks like a TLS record: the server expects TLS right away (try negotiation direct)"
	default:
		return s + ", expected 'S' or 'N' (is this a PostgreSQL or PgBouncer server?)"
	}
}

// Is makes errors.Is(err, ErrUnexpectedReply) true.
func (e *ReplyError) Is(target error) bool { return target == ErrUnexpectedReply }

// reason turns a low-level network error into a reason a person can act on:
// the context's end, a deadline, or a closed connection become the matching
// sentinel; a server's answer and anything else are returned as they are.
func reason(ctx context.Context, err error, elapsed time.Duration) error {
	if errors.Is(err, ErrNoTLS) || errors.Is(err, ErrUnexpectedReply) {
		return err // the server answered: that is the reason
	}
	elapsed = elapsed.Round(time.Millisecond)
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return fmt.Errorf("%w after %v: %w", ErrTimeout, elapsed, context.Cause(ctx))
		}
		return fmt.Errorf("canceled after %v: %w", elapsed, context.Cause(ctx))
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// A deadline taken from the context (the dialer sets one for the
		// connect) passed a moment before the context noticed.
		return fmt.Errorf("%w after %v: %w", ErrTimeout, elapsed, context.DeadlineExceeded)
	}
	if isClosed(err) {
		return fmt.Errorf("%w: %w", ErrConnectionClosed, err)
	}
	return err
}

// isClosed reports whether err means the peer went away.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// clientCertAlert reports whether a is an alert a server sends when it
// refuses the client certificate (missing says: or the lack of one). Go and
// OpenSSL send bad_certificate or handshake_failure with TLS 1.2 and
// certificate_required with TLS 1.3.
func clientCertAlert(a tls.AlertError, missing bool) bool {
	switch a {
	case 40, 42, 116: // handshake_failure, bad_certificate, certificate_required
		return true
	case 43, 44, 45, 46, 48, 49: // unsupported, revoked, expired, unknown, unknown_ca, access_denied
		return !missing
	}
	return false
}

// remoteAlert returns the TLS alert the server sent, if err is one.
func remoteAlert(err error) (tls.AlertError, bool) {
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "remote error" || opErr.Err == nil {
		return 0, false
	}
	// crypto/tls reports received alerts with an unexported type whose text
	// equals that of tls.AlertError with the same code.
	text := opErr.Err.Error()
	for code := range 256 {
		if a := tls.AlertError(code); a.Error() == text {
			return a, true
		}
	}
	return 0, false
}

// handshakeReason explains a failed TLS handshake. requested says whether the
// server asked for a client certificate, haveCert whether one was configured.
func handshakeReason(ctx context.Context, err error, elapsed time.Duration, n Negotiation, requested, haveCert bool) error {
	if alert, ok := remoteAlert(err); ok {
		switch {
		case alert == 120: // no_application_protocol
			return fmt.Errorf("%w (the server refused it): %w", ErrALPNNotNegotiated, err)
		case requested && !haveCert && clientCertAlert(alert, true):
			return fmt.Errorf("%w: %w", ErrClientCertificateRequired, err)
		case requested && haveCert && clientCertAlert(alert, false):
			return fmt.Errorf("%w: %w", ErrClientCertificateRejected, err)
		}
		return handshakeError{err}
	}
	r := reason(ctx, err, elapsed)
	if r != err {
		if n == NegotiationDirect && errors.Is(r, ErrConnectionClosed) {
			return fmt.Errorf("%w (%s)", r, noDirectTLS)
		}
		return r
	}
	var header tls.RecordHeaderError
	if n == NegotiationDirect && errors.As(err, &header) {
		return fmt.Errorf("%w (the server answered without TLS; %s)", handshakeError{err}, noDirectTLS)
	}
	return handshakeError{err}
}

// noDirectTLS explains a server that fails a direct TLS handshake early.
const noDirectTLS = "servers without direct TLS, PostgreSQL before 17 or PgBouncer before 1.25, do this: try negotiation postgres"

// handshakeError is a TLS error that fits no sentinel better than
// ErrHandshake. Its text is the TLS error's, as the phase already says
// "TLS handshake".
type handshakeError struct{ err error }

func (e handshakeError) Error() string        { return e.err.Error() }
func (e handshakeError) Unwrap() error        { return e.err }
func (e handshakeError) Is(target error) bool { return target == ErrHandshake }
