package probe

import (
	"crypto/tls"
	"net"
	"os"
	"time"
)

// Bounds of the wait for a TLS 1.3 server's verdict on the client certificate.
const (
	minVerdictWait = 50 * time.Millisecond
	maxVerdictWait = time.Second
)

// readVerdict reads the server's verdict on the client certificate (or its
// absence). In TLS 1.3 the client's handshake ends before the server has
// checked the certificate, so a refusal arrives as an alert just after.
// The goodbye asks for the verdict: a server answers close_notify by
// closing, and one that issues session tickets sends them once it has
// accepted the client's Finished, so the verdict takes one round trip: the
// first record the server sends after the handshake (verdictConn) is the
// refusal, a session ticket or the server's own close_notify.
//
// readVerdict returns the server's alert, and nil when the server closed,
// sent anything else first or stayed silent until the bound: the
// handshake's own duration, within minVerdictWait and maxVerdictWait, never
// past the deadline.
func readVerdict(tc *tls.Conn, handshake time.Duration, deadline time.Time) error {
	until := time.Now().Add(min(max(handshake, minVerdictWait), maxVerdictWait))
	if !deadline.IsZero() && deadline.Before(until) {
		until = deadline
	}
	_ = tc.SetReadDeadline(until)
	var b [1]byte
	_, err := tc.Read(b[:])
	if _, alert := remoteAlert(err); alert {
		return err
	}
	return nil
}

// recordHeaderLen is the length of a TLS record header: type, version,
// and the length of the fragment that follows.
const recordHeaderLen = 5

// verdictConn is the connection under a probe's TLS client. Once armed
// after the handshake, it lets the TLS client read the first record the
// server sends (with whatever arrives in the same read) and then reports a
// timeout: the client processes that record, so a refusal surfaces as its
// alert, while a session ticket (noSessions keeps none) or the server's
// close_notify ends the wait at once instead of after the bound.
type verdictConn struct {
	net.Conn
	armed bool
	// read counts the bytes read since arm; first is the length of the
	// first record, header included, once its header has been read.
	read, first int
}

// arm starts watching for the first record. It must be called between
// reads, from the goroutine that reads, when the TLS client holds no part
// of a record read ahead: true after a handshake in which the server asked
// for a client certificate, since the server sends nothing more before it
// has the client's answer.
func (c *verdictConn) arm() { c.armed = true }

// Read implements net.Conn.
func (c *verdictConn) Read(p []byte) (int, error) {
	if !c.armed {
		return c.Conn.Read(p)
	}
	if c.first > 0 && c.read >= c.first {
		return 0, os.ErrDeadlineExceeded
	}
	n, err := c.Conn.Read(p)
	for i := 0; i < n && c.read+i < recordHeaderLen; i++ {
		switch c.read + i {
		case recordHeaderLen - 2: // the length's high byte
			c.first = int(p[i]) << 8
		case recordHeaderLen - 1:
			c.first = recordHeaderLen + (c.first | int(p[i]))
		}
	}
	c.read += n
	return n, err
}

// noSessions is a client session cache that never offers a session and
// keeps none. Having one makes the client offer session tickets, which is
// what makes a TLS 1.3 server send one once it has accepted the client.
type noSessions struct{}

// Get implements tls.ClientSessionCache: there is never a session to resume.
func (noSessions) Get(string) (*tls.ClientSessionState, bool) { return nil, false }

// Put implements tls.ClientSessionCache: the session is dropped.
func (noSessions) Put(string, *tls.ClientSessionState) {}
