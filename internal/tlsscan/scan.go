// Package tlsscan learns what a PostgreSQL or PgBouncer server really
// accepts, by handshakes rather than by its settings: the protocol versions
// it completes a hello for, from SSLv3 to TLS 1.3, and for each the cipher
// suites it picks, including those Go's crypto/tls cannot offer (NULL,
// anon, EXPORT, DES, 3DES, RC4, static RSA). Like testssl.sh and sslyze it
// writes the ClientHello itself and reads only the ServerHello: no
// handshake is finished, no key is exchanged.
package tlsscan

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/magflow/pgtls_exporter/internal/ciphers"
)

// Options describe one scan.
type Options struct {
	// Address is the server's host:port.
	Address string
	// ServerName is sent as SNI (not for an IP address).
	ServerName string
	// Direct starts TLS at once; otherwise PostgreSQL's SSLRequest comes first.
	Direct bool
	// Interval is the least time between two connections to the server
	// (a limit on handshakes per second); zero: none.
	Interval time.Duration
	// Timeout bounds each hello, from dial to ServerHello; zero: only ctx.
	Timeout time.Duration
	// Dialer makes the TCP connections; nil means a zero net.Dialer.
	Dialer *net.Dialer
}

// Result is what a server accepted.
type Result struct {
	// Versions holds every version tried, oldest first.
	Versions []VersionResult
	// Groups are the key exchange groups the server accepted, in the order
	// of Groups(); learned with TLS 1.3 when the server accepts it.
	Groups []Group
	// RequestsClientCert says whether the server asked for a client
	// certificate (sent a CertificateRequest) in a full handshake.
	RequestsClientCert bool
	// ClientCertUnknown is why RequestsClientCert could not be learned
	// ("" when it was): no version accepted, or a full handshake that failed
	// before a request could come.
	ClientCertUnknown string
	// Handshakes counts the connections made: hellos and the full handshake.
	Handshakes int
	Duration   time.Duration
}

// VersionResult is one protocol version: whether the server completed a
// hello for it, and the suites it picked, in the order it picked them.
type VersionResult struct {
	Version  Version
	Accepted bool
	Suites   []ciphers.Suite
}

// Accepted lists the names of the versions the server accepted.
func (r *Result) Accepted() []string {
	var out []string
	for _, v := range r.Versions {
		if v.Accepted {
			out = append(out, v.Version.Name)
		}
	}
	return out
}

// Scan tries every version, then every suite of each version the server
// accepts, then every group, one hello per connection, and ends with one
// full handshake that shows whether the server asks for a client
// certificate; connections are spaced by opts.Interval. An error means the
// scan could not be made (the server does not answer, refuses TLS, or is
// not PostgreSQL); a server that refuses a hello is an answer.
func Scan(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	s := &scanner{opts: opts}
	res := &Result{}
	for _, v := range Versions() {
		vr := VersionResult{Version: v}
		candidates := suitesFor(v.ID)
		for len(candidates) > 0 {
			sh, err := s.hello(ctx, helloSpec{what: v.Name + " hello", version: v.ID, suites: candidates, groups: offeredGroups()})
			if errors.Is(err, errRefused) || err == nil && sh.version != v.ID {
				break
			}
			if err != nil {
				return nil, err
			}
			i := slices.IndexFunc(candidates, func(c ciphers.Suite) bool { return c.ID == sh.suite })
			if i < 0 {
				return nil, fmt.Errorf("scan %s: %s: the server picked suite 0x%04x, which was not offered", opts.Address, v.Name, sh.suite)
			}
			vr.Accepted = true
			vr.Suites = append(vr.Suites, candidates[i])
			candidates = slices.Delete(candidates, i, i+1)
		}
		res.Versions = append(res.Versions, vr)
	}
	var err error
	if res.Groups, err = s.groups(ctx, res.Versions); err != nil {
		return nil, err
	}
	if len(res.Accepted()) == 0 {
		res.ClientCertUnknown = "no protocol version accepted"
	} else if res.RequestsClientCert, res.ClientCertUnknown, err = s.clientCertRequest(ctx); err != nil {
		return nil, err
	}
	res.Handshakes, res.Duration = s.handshakes, time.Since(start)
	return res, nil
}

// scanner makes the connections of one scan to one server.
type scanner struct {
	opts       Options
	handshakes int
	last       time.Time
}

// helloSpec is what one ClientHello offers.
type helloSpec struct {
	what    string // names the hello in errors: "TLSv1.2 hello"
	version uint16
	suites  []ciphers.Suite
	groups  []uint16
	// keyExchange has the answer read on to the ServerKeyExchange (before
	// TLS 1.3), for the certificate's curve and the ECDHE group.
	keyExchange bool
}

// hello sends one ClientHello on a new connection and reads the answer.
func (s *scanner) hello(ctx context.Context, spec helloSpec) (serverHello, error) {
	record, err := clientHello(spec.version, spec.suites, spec.groups, s.opts.ServerName)
	if err != nil {
		return serverHello{}, err
	}
	what := spec.what
	conn, ctx, done, err := s.open(ctx, what)
	if err != nil {
		return serverHello{}, err
	}
	defer done()
	if _, err := conn.Write(record); err != nil {
		if ctx.Err() != nil { // the timeout closed the connection: no answer, not a refusal
			return serverHello{}, s.failed(ctx, what, "sending the hello", err)
		}
		return serverHello{}, fmt.Errorf("%w: %w", errRefused, err)
	}
	sh, err := readServerHello(bufio.NewReader(conn), spec.keyExchange)
	if err != nil && (ctx.Err() != nil || !errors.Is(err, errRefused)) {
		return serverHello{}, s.failed(ctx, what, "waiting for the ServerHello", err)
	}
	return sh, err
}
