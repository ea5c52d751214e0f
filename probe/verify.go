package probe

import (
	"crypto/x509"
	"errors"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/libpq"
)

// Verifier decides verify-full for a served chain and server name, as
// libpq's clients do; *certs.Authority is the one the exporter uses.
type Verifier interface {
	Verify(chain []*x509.Certificate, serverName string, now time.Time) certs.Verification
}

// verify checks the served chain with v, unless memo remembers that the
// same chain passed for the same name and verifier and nothing has changed
// since; a new success is remembered there. Without a verifier or a
// certificate there is nothing to verify, and the verification says so.
func verify(chain []*x509.Certificate, serverName string, v Verifier, now time.Time, memo *VerifiedChains) certs.Verification {
	switch {
	case v == nil:
		return certs.Verification{Reason: certs.VerifyNotConfigured,
			Err: errors.New("verification not configured: no CA certificates given")}
	case len(chain) == 0:
		return certs.Verification{Reason: certs.VerifyNoCertificate, Err: errors.New("server sent no certificate")}
	}
	if got, ok := memo.lookup(chain, serverName, v, now); ok {
		return got
	}
	got := v.Verify(chain, serverName, now)
	if got.OK() {
		memo.remember(chain, serverName, v, got)
	}
	return got
}

// CommonNameOnly reports that verify-full passed only because, as libpq
// does, the leaf's common name was matched for want of a SAN of the server
// name's kind: libpq clients connect, SAN-only clients (Go's crypto/tls,
// pgx) refuse the certificate.
func (r Result) CommonNameOnly() bool {
	return r.Verification.OK() && r.Verification.Name == libpq.MatchCommonName
}

// IPAsDNS reports that verify-full passed only because, as libpq does, a
// DNS SAN holds the server name, an IP address, as text: Go's crypto/tls
// and rustls refuse it.
func (r Result) IPAsDNS() bool {
	return r.Verification.OK() && r.Verification.Name == libpq.MatchIPAsDNS
}
