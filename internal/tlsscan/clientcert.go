package tlsscan

import (
	"context"
	"crypto/tls"
	"fmt"
)

// clientCertRequest learns whether the server asks for a client
// certificate, by one full handshake with crypto/tls: its
// GetClientCertificate is called if and only if a CertificateRequest came,
// with TLS 1.2 and 1.3 alike, and answers with no certificate. The
// server's certificate is not verified: this connection only observes, and
// nothing is sent over it. unknown says why the answer could not be
// learned when the handshake failed before a request could come (Go offers
// fewer suites and key types than OpenSSL); err is for a server that does
// not answer or a scan that ends.
func (s *scanner) clientCertRequest(ctx context.Context) (requested bool, unknown string, err error) {
	const what = "full handshake"
	conn, ctx, done, err := s.open(ctx, what)
	if err != nil {
		return false, "", err
	}
	defer done()
	cfg := &tls.Config{
		ServerName:         s.opts.ServerName,
		InsecureSkipVerify: true, // observes the CertificateRequest only; nothing is sent over this connection
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       goSuites(),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			requested = true
			return &tls.Certificate{}, nil
		},
	}
	if s.opts.Direct {
		cfg.NextProtos = []string{"postgresql"}
	}
	err = tls.Client(conn, cfg).HandshakeContext(ctx)
	switch {
	case requested || err == nil:
		return requested, "", nil
	case ctx.Err() != nil:
		return false, "", s.failed(ctx, what, "waiting for the handshake", err)
	}
	return false, fmt.Sprintf("the handshake failed before a certificate request could come: %v", err), nil
}

// goSuites are all the TLS 1.2 and older suites crypto/tls has, the
// insecure ones included, so that it can talk to servers that only offer
// those.
func goSuites() []uint16 {
	var ids []uint16
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, c := range list {
			ids = append(ids, c.ID)
		}
	}
	return ids
}
