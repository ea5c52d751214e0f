package probe

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"time"
	"unicode"
)

// sslRequest is PostgreSQL's SSLRequest message: length 8, code 80877103.
const sslRequest = "\x00\x00\x00\x08\x04\xd2\x16\x2f"

const (
	// maxServerMessage bounds how much of an error message after an 'E'
	// reply is read.
	maxServerMessage = 2048
	// maxMessageText bounds the cleaned error text kept in ReplyError.
	maxMessageText = 240
	// serverMessageWait bounds the wait for the error text after an 'E'.
	serverMessageWait = 250 * time.Millisecond
)

// RequestSSL sends PostgreSQL's SSLRequest and reads the one-byte answer. It sends
// nothing else: PostgreSQL fails the connection if any byte follows the
// SSLRequest before its answer. On failure it returns the phase and the raw
// error (a *ReplyError or ErrNoTLS when the server answered).
func RequestSSL(conn net.Conn, deadline time.Time) (Phase, error) {
	if _, err := io.WriteString(conn, sslRequest); err != nil {
		return PhaseSSLRequest, err
	}
	var reply [1]byte
	if _, err := io.ReadFull(conn, reply[:]); err != nil {
		return PhaseSSLReply, err
	}
	err := parseSSLResponse(reply[0])
	if err == nil {
		return "", nil
	}
	var re *ReplyError
	if errors.As(err, &re) && re.Reply == 'E' {
		re.ServerMessage = readServerMessage(conn, deadline)
	}
	return PhaseSSLReply, err
}

// parseSSLResponse interprets the server's one-byte answer to SSLRequest:
// nil for 'S' (go on with TLS), ErrNoTLS for 'N', a *ReplyError otherwise.
func parseSSLResponse(b byte) error {
	switch b {
	case 'S':
		return nil
	case 'N':
		return ErrNoTLS
	default:
		return &ReplyError{Reply: b}
	}
}

// readServerMessage reads, best effort and briefly, the error message that
// follows an 'E' answer, and returns its text or "". The connection is dead
// at this point, so reading more than the reply byte is harmless.
func readServerMessage(conn net.Conn, deadline time.Time) string {
	wait := time.Now().Add(serverMessageWait)
	if deadline.IsZero() || wait.Before(deadline) {
		deadline = wait
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		return ""
	}
	buf := make([]byte, 0, maxServerMessage)
	for len(buf) < cap(buf) {
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if _, complete := parseServerMessage(buf); complete || err != nil {
			break
		}
	}
	text, _ := parseServerMessage(buf)
	return text
}

// parseServerMessage extracts readable text from the bytes that follow an 'E'
// byte: either a protocol 3 ErrorResponse body (int32 length, then fields of
// a type byte and a NUL-terminated string, then a NUL) or, as PostgreSQL
// sends when it cannot fork a backend, a protocol 2 NUL-terminated string.
// complete reports whether the message is whole.
func parseServerMessage(b []byte) (text string, complete bool) {
	if len(b) >= 4 {
		n := binary.BigEndian.Uint32(b)
		if n > 4 && n <= maxServerMessage {
			body := b[4:min(len(b), int(n))]
			return cleanText(errorFields(body)), len(b) >= int(n)
		}
	}
	i := strings.IndexByte(string(b), 0)
	if i < 0 {
		return cleanText(string(b)), false
	}
	return cleanText(string(b[:i])), true
}

// errorFields formats the severity, message, SQLSTATE and detail fields of an
// ErrorResponse body as "SEVERITY: message (SQLSTATE code): detail".
func errorFields(body []byte) string {
	var severity, message, code, detail string
	for len(body) > 1 && body[0] != 0 {
		kind := body[0]
		value, rest, _ := strings.Cut(string(body[1:]), "\x00")
		body = body[len(body)-len(rest):]
		switch kind {
		case 'S':
			severity = value
		case 'V':
			if severity == "" {
				severity = value
			}
		case 'M':
			message = value
		case 'C':
			code = value
		case 'D':
			detail = value
		}
	}
	var s strings.Builder
	if severity != "" {
		s.WriteString(severity + ": ")
	}
	s.WriteString(message)
	if code != "" {
		s.WriteString(" (SQLSTATE " + code + ")")
	}
	if detail != "" {
		s.WriteString(": " + detail)
	}
	return s.String()
}

// cleanText keeps printable characters, collapses whitespace and shortens the
// result to maxMessageText runes plus an ellipsis, so server text is safe to
// log and show.
func cleanText(s string) string {
	var b strings.Builder
	runes := 0
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			r = '?'
		}
		need := 1
		if space {
			need = 2
		}
		if runes+need > maxMessageText {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		runes += need
	}
	return b.String()
}
