// Package probe performs a live TLS handshake with a PostgreSQL or PgBouncer
// server and reports what the server negotiated and served.
//
// A probe never authenticates and never sends a startup message. It stops
// right after the TLS handshake and ends the session with a TLS close_notify
// and the TCP FIN, which PostgreSQL treats like a monitoring client that went
// away without a word. It does no logging and exports no metrics: callers turn a Result or
// an error into those.
//
// Establishing TLS and trusting the server are reported separately: Probe
// returns an error only when no TLS session was established, while a session
// whose certificate fails verify-full (expired, self-signed, unknown CA, wrong
// name) is a successful probe whose Result.VerifyErr says what is wrong.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
)

// Negotiation is the way a probe asks the server for TLS.
type Negotiation string

// The supported negotiations; Negotiations lists them.
const (
	// NegotiationPostgres sends the 8-byte SSLRequest (00 00 00 08 04 d2 16
	// 2f) and starts TLS when the server answers 'S'; 'N' means no TLS. Every
	// PostgreSQL and PgBouncer version understands it.
	NegotiationPostgres Negotiation = "postgres"
	// NegotiationDirect starts TLS right away with ALPN "postgresql"
	// (PostgreSQL 17+, PgBouncer 1.25+; libpq's sslnegotiation=direct).
	NegotiationDirect Negotiation = "direct"
)

// Negotiations lists every supported negotiation, in the order of preference.
func Negotiations() []Negotiation {
	return []Negotiation{NegotiationPostgres, NegotiationDirect}
}

// Valid reports whether n is one of Negotiations.
func (n Negotiation) Valid() bool { return slices.Contains(Negotiations(), n) }

// Options describe one probe.
type Options struct {
	// Address is the server's host:port.
	Address string
	// ServerName is sent as SNI and checked against the certificate's SANs
	// (a DNS name or an IP address). Empty means the host part of Address.
	ServerName string
	// Negotiation says how to ask for TLS. Empty means NegotiationPostgres.
	Negotiation Negotiation
	// Verifier decides verify-full for the served chain. Nil means
	// verification is not configured: Result.Verification then says so.
	Verifier Verifier
	// ClientCertificate is presented when the server asks for one (optional).
	ClientCertificate *tls.Certificate
	// Dialer makes the TCP connection; nil means a zero net.Dialer. The
	// context passed to Probe bounds it either way.
	Dialer *net.Dialer
	// Verified remembers chains that passed verify-full, across probes
	// (optional): a server that serves a remembered chain again is not
	// verified again while the chain is valid.
	Verified *VerifiedChains
}

// Result is what a successful probe saw.
type Result struct {
	// Duration covers dial, negotiation and TLS handshake, not the short
	// wait for a TLS 1.3 server's verdict on the client certificate.
	Duration time.Duration
	// TLSVersion is spelled as PostgreSQL's pg_stat_ssl.version: "TLSv1.2", "TLSv1.3".
	TLSVersion string
	// CipherSuite is the IANA name, e.g. "TLS_AES_128_GCM_SHA256".
	CipherSuite string
	// KeyExchangeGroup is the named group of the key exchange, e.g.
	// "X25519", "P256", "X25519MLKEM768"; "" when there was none or it is unknown.
	KeyExchangeGroup string
	// NegotiatedProtocol is the ALPN protocol, "postgresql" or "".
	NegotiatedProtocol string
	// PeerCertificates is the chain the server served, leaf first.
	PeerCertificates []*x509.Certificate
	// Verification is Options.Verifier's verdict on the served chain and
	// the server name: what libpq with sslmode=verify-full decides.
	Verification certs.Verification
	// ClientCertificateRequested reports that the server asked for a client
	// certificate (PostgreSQL does whenever ssl_ca_file is set).
	ClientCertificateRequested bool
	// ClientCAs are the distinguished names (DER) of the CAs the server
	// accepts client certificates from, as its certificate request named
	// them: PostgreSQL names the certificates of its ssl_ca_file, so they
	// show which CA file it has loaded; PgBouncer names none.
	ClientCAs [][]byte
}

// Verified reports whether the server presented a certificate that passed
// verify-full.
func (r Result) Verified() bool { return r.Verification.OK() && len(r.PeerCertificates) > 0 }

// VerifyErr says why verify-full failed; nil when it passed.
func (r Result) VerifyErr() error { return r.Verification.Err }

// Probe connects to opts.Address, negotiates TLS and completes a handshake,
// then closes the connection. ctx bounds every step; a probe leaves no
// goroutine behind.
//
// When the server asks for a client certificate over TLS 1.3, Probe waits
// for its verdict after the handshake, because a TLS 1.3 server refuses a
// missing or bad client certificate only after the client has finished its
// handshake: it sends close_notify and reads the first record the server
// sends (its close_notify or a session ticket: one round trip), or waits at
// most the handshake's duration (at least 50ms, at most 1s, never past ctx's
// deadline) for a silent server.
// PostgreSQL asks whenever ssl_ca_file is set, PgBouncer whenever
// client_tls_ca_file is set.
//
// The error is nil if and only if a TLS session was established. Otherwise it
// is an *Error (or wraps ErrInvalidOptions) whose Phase names the failed step
// and which wraps a sentinel where one fits: ErrNoTLS, ErrUnexpectedReply,
// ErrConnectionClosed, ErrTimeout, ErrHandshake, ErrClientCertificateRequired,
// ErrClientCertificateRejected, ErrALPNNotNegotiated or ErrUnsupportedKeyType.
func Probe(ctx context.Context, opts Options) (Result, error) {
	serverName, err := opts.check()
	if err != nil {
		return Result{}, err
	}
	negotiation := opts.Negotiation
	if negotiation == "" {
		negotiation = NegotiationPostgres
	}
	start := time.Now()
	fail := func(phase Phase, err error) (Result, error) {
		return Result{}, &Error{Address: opts.Address, Phase: phase, Err: err}
	}
	conn, err := dial(ctx, opts.Dialer, opts.Address)
	if err != nil {
		return fail(PhaseDial, reason(ctx, err, time.Since(start)))
	}
	defer conn.Close()
	// Closing the connection when ctx ends bounds every read and write;
	// the connection needs no deadline of its own.
	defer closeOnDone(ctx, conn)()
	deadline, _ := ctx.Deadline()
	if negotiation == NegotiationPostgres {
		if phase, err := askForTLS(ctx, conn, deadline, start); err != nil {
			return fail(phase, err)
		}
	}

	var (
		hs    = &handshakeState{haveCert: opts.ClientCertificate != nil}
		watch = &verdictConn{Conn: conn}
		bye   = &goodbye{raw: conn}
	)
	tc := tls.Client(watch, clientConfig(serverName, opts.ClientCertificate, hs, bye))
	bye.tc = tc
	if err := tc.HandshakeContext(ctx); err != nil {
		return fail(PhaseHandshake, handshakeFailure(ctx, err, opts, serverName, negotiation, hs, start))
	}
	duration := time.Since(start)
	cs := tc.ConnectionState()
	awaiting := hs.requested && cs.Version >= tls.VersionTLS13
	if awaiting {
		watch.arm()
	}
	// The client's Finished, close_notify and the FIN leave together; the
	// goodbye also asks for the verdict (readVerdict).
	bye.say()
	// Verifying now overlaps the server's round trip to its verdict, for a
	// chain that opts.Verified does not remember.
	verification := verify(cs.PeerCertificates, serverName, opts.Verifier, time.Now(), opts.Verified)
	if awaiting {
		if err := readVerdict(tc, duration, deadline); err != nil {
			return fail(PhaseHandshake, handshakeReason(ctx, err, time.Since(start), "", hs.requested, hs.haveCert))
		}
	}
	if negotiation == NegotiationDirect {
		if err := checkALPN(cs.NegotiatedProtocol); err != nil {
			return fail(PhaseHandshake, err)
		}
	}
	return Result{
		Duration:                   duration,
		TLSVersion:                 versionName(cs.Version),
		CipherSuite:                tls.CipherSuiteName(cs.CipherSuite),
		KeyExchangeGroup:           groupName(cs.CurveID),
		NegotiatedProtocol:         cs.NegotiatedProtocol,
		PeerCertificates:           cs.PeerCertificates,
		Verification:               verification,
		ClientCertificateRequested: hs.requested,
		ClientCAs:                  hs.clientCAs,
	}, nil
}

// dial makes the TCP connection, with a zero net.Dialer when none is given.
func dial(ctx context.Context, dialer *net.Dialer, address string) (net.Conn, error) {
	if dialer == nil {
		dialer = &net.Dialer{}
	}
	return dialer.DialContext(ctx, "tcp", address)
}

// askForTLS sends PostgreSQL's SSLRequest and reads the answer; on
// failure it says in which phase, and why.
func askForTLS(ctx context.Context, conn net.Conn, deadline, start time.Time) (Phase, error) {
	phase, err := RequestSSL(conn, deadline)
	if err == nil {
		return "", nil
	}
	err = reason(ctx, err, time.Since(start))
	if phase == PhaseSSLReply && errors.Is(err, ErrConnectionClosed) {
		err = fmt.Errorf("%w (servers that expect TLS right away do this: try negotiation direct)", err)
	}
	return phase, err
}

// handshakeState is what the handshake learns of the server's request
// for a client certificate.
type handshakeState struct {
	requested bool     // the server asked for a client certificate
	clientCAs [][]byte // the CAs it named for it
	haveCert  bool     // the probe has one to present
}

// clientConfig is the probe's TLS client: any certificate is accepted by
// the handshake (verify-full is judged after it, apart from success).
func clientConfig(serverName string, clientCert *tls.Certificate, hs *handshakeState, bye *goodbye) *tls.Config {
	return &tls.Config{
		ServerName: serverName, // SNI; crypto/tls leaves it out for IP addresses
		// The handshake must succeed whatever the certificate: the chain is
		// verified after it and reported apart from success.
		InsecureSkipVerify: true,
		// libpq 17+ offers ALPN with either negotiation; direct requires it.
		NextProtos: []string{alpnProtocol},
		// Classical groups only: PostgreSQL and PgBouncer built on OpenSSL
		// before 3.5 cannot use a post-quantum (ML-KEM) share, whose key
		// generation would be wasted on every probe. X25519 first, as
		// OpenSSL servers prefer it; PostgreSQL with its default
		// ssl_ecdh_curve (prime256v1) asks for P-256 in a second hello.
		CurvePreferences: probeGroups(),
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			hs.requested, hs.clientCAs = true, cri.AcceptableCAs
			if clientCert != nil {
				return clientCert, nil
			}
			return &tls.Certificate{}, nil // send none
		},
		// A cache that never offers a session: every probe sees the full
		// handshake and the served certificate. A client without any cache
		// would not offer tickets (psk_key_exchange_modes), and servers
		// that follow RFC 8446 would then send none: the ticket is how a
		// server that does not answer close_notify says it accepted us.
		ClientSessionCache: noSessions{},
		// Called before the client's last flight of a TLS 1.3 handshake:
		// holding that flight back lets it leave with the goodbye.
		VerifyConnection: func(cs tls.ConnectionState) error {
			if cs.Version >= tls.VersionTLS13 {
				bye.holdLastFlight()
			}
			return nil
		},
	}
}

// handshakeFailure explains a failed handshake; a handshake_failure alert
// without a certificate request may be a server key Go's TLS cannot
// negotiate, which a second look tells.
func handshakeFailure(ctx context.Context, err error, opts Options, serverName string, negotiation Negotiation, hs *handshakeState, start time.Time) error {
	why := handshakeReason(ctx, err, time.Since(start), negotiation, hs.requested, hs.haveCert)
	if alert, ok := remoteAlert(err); ok && alert == 40 && !hs.requested { // handshake_failure
		if alg := unsupportedServerKey(ctx, opts, serverName, negotiation); alg != "" {
			why = fmt.Errorf("%w: the server's certificate has an %s key, which libpq (OpenSSL) can use but Go's TLS cannot negotiate: %w",
				ErrUnsupportedKeyType, alg, err)
		}
	}
	return why
}

// probeGroups are the key exchange groups a probe offers, in order.
func probeGroups() []tls.CurveID { return []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384} }

// check validates the options and returns the server name to use.
func (o Options) check() (string, error) {
	if o.Address == "" {
		return "", fmt.Errorf("%w: address is empty", ErrInvalidOptions)
	}
	host, _, err := net.SplitHostPort(o.Address)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if o.Negotiation != "" && !o.Negotiation.Valid() {
		return "", fmt.Errorf("%w: unknown negotiation %q (supported: %v)", ErrInvalidOptions, o.Negotiation, Negotiations())
	}
	if o.ServerName != "" {
		return o.ServerName, nil
	}
	return host, nil
}

// closeOnDone closes conn as soon as ctx ends, which interrupts any step in
// progress. The returned stop function must run before Probe returns; it
// waits for the closing goroutine if that has already started.
func closeOnDone(ctx context.Context, conn net.Conn) (stop func()) {
	done := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		_ = conn.Close()
		close(done)
	})
	return func() {
		if !stopAfter() {
			<-done
		}
	}
}

// versionName spells a TLS version the way PostgreSQL (OpenSSL) does.
func versionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	default:
		return tls.VersionName(v)
	}
}

// groupName names a key exchange group without crypto/tls's "Curve" prefix.
func groupName(id tls.CurveID) string {
	if id == 0 {
		return ""
	}
	return strings.TrimPrefix(id.String(), "Curve")
}
