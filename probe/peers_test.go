package probe

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testpeer"
)

// peerTimeout bounds every read and write of a test peer.
const peerTimeout = testpeer.Timeout

// peer is a test server; see package testpeer.
type peer struct{ addr string }

func startPeer(tb testing.TB, handle func(net.Conn)) *peer {
	tb.Helper()
	return &peer{addr: testpeer.Start(tb, handle).Addr}
}

func readRequest(c net.Conn) ([]byte, error)        { return testpeer.ReadRequest(c) }
func silent(c net.Conn)                             { testpeer.Silent(c) }
func answer(reply []byte, hold bool) func(net.Conn) { return testpeer.Answer(reply, hold) }

// closeMidHandshake answers 'S', reads the whole first TLS record (the
// ClientHello) and closes without a word.
func closeMidHandshake(c net.Conn) {
	if _, err := readRequest(c); err != nil {
		return
	}
	_, _ = c.Write([]byte{'S'})
	var header [5]byte
	if _, err := io.ReadFull(c, header[:]); err != nil {
		return
	}
	_, _ = io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint16(header[3:])))
}

// serverEvent is what a TLS test server saw on one connection.
type serverEvent struct {
	request []byte // bytes read before answering (the SSLRequest)
	early   []byte // bytes the client sent after the SSLRequest before the answer
	first   byte   // first byte of the TLS stream (0x16: handshake record)
	state   tls.ConnectionState
	err     error  // server handshake error
	after   []byte // application data the client sent after the handshake
	endErr  error  // how the stream ended after the handshake
}

// pgServer behaves like PostgreSQL or PgBouncer up to the end of the TLS
// handshake: it reads the SSLRequest (unless direct), answers 'S' and runs a
// TLS handshake with cfg. With quiet > 0 it first checks for that long that
// the client sends nothing before the answer. After the handshake it reads
// whatever the client sends until the stream ends. It reports one event per
// connection on events, if not nil.
func pgServer(cfg *tls.Config, direct bool, quiet time.Duration, events chan<- serverEvent) func(net.Conn) {
	return func(c net.Conn) {
		var ev serverEvent
		if events != nil {
			defer func() { events <- ev }()
		}
		if !direct {
			var err error
			if ev.request, err = readRequest(c); err != nil {
				ev.err = err
				return
			}
			if quiet > 0 {
				_ = c.SetReadDeadline(time.Now().Add(quiet))
				buf := make([]byte, 64)
				n, _ := c.Read(buf)
				ev.early = buf[:n]
				_ = c.SetReadDeadline(time.Now().Add(peerTimeout))
			}
			if _, err := c.Write([]byte{'S'}); err != nil {
				ev.err = err
				return
			}
		}
		rec := &firstByte{Conn: c}
		ts := tls.Server(rec, cfg)
		ev.err = ts.Handshake()
		ev.first = rec.first
		ev.state = ts.ConnectionState()
		if ev.err != nil {
			return
		}
		buf := make([]byte, 256)
		for {
			n, err := ts.Read(buf)
			ev.after = append(ev.after, buf[:n]...)
			if err != nil {
				ev.endErr = err
				return
			}
		}
	}
}

// firstByte records the first byte read through it.
type firstByte struct {
	net.Conn
	first byte
	seen  bool
}

func (f *firstByte) Read(b []byte) (int, error) {
	n, err := f.Conn.Read(b)
	if n > 0 && !f.seen {
		f.first, f.seen = b[0], true
	}
	return n, err
}

// await returns the next event or fails the test.
func await(tb testing.TB, events <-chan serverEvent) serverEvent {
	tb.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(peerTimeout):
		tb.Fatal("test server reported nothing")
		return serverEvent{}
	}
}

// pki is a CA with a server certificate for "db", "localhost" and 127.0.0.1.
type pki struct {
	ca     *testcerts.Issued
	leaf   *testcerts.Issued
	roots  *certs.Authority
	pool   *x509.CertPool // the same CA for crypto/tls
	server *tls.Config
}

func newPKI(tb testing.TB) *pki {
	tb.Helper()
	ca := testcerts.CA(tb, "Magflow Test CA")
	leaf := testcerts.Issue(tb, ca, testcerts.Options{CommonName: "db",
		DNSNames: []string{"db", "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}})
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &pki{ca: ca, leaf: leaf, roots: certs.NewAuthority([]*x509.Certificate{ca.Cert}, 2), pool: pool, server: serverConfig(leaf)}
}

// serverConfig serves leaf followed by chain.
func serverConfig(leaf *testcerts.Issued, chain ...*testcerts.Issued) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{keyPair(leaf, chain...)}}
}

// keyPair turns an issued certificate (and its chain) into a tls.Certificate.
func keyPair(leaf *testcerts.Issued, chain ...*testcerts.Issued) tls.Certificate {
	der := [][]byte{leaf.Cert.Raw}
	for _, c := range chain {
		der = append(der, c.Cert.Raw)
	}
	return tls.Certificate{Certificate: der, PrivateKey: leaf.Key, Leaf: leaf.Cert}
}

// asError returns err as *Error or fails the test.
func asError(tb testing.TB, err error) *Error {
	tb.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		tb.Fatalf("error %v (%T) is not a *probe.Error", err, err)
	}
	return pe
}
