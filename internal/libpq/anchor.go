package libpq

import (
	"crypto/x509"
	"time"
)

// CheckAnchor judges one certificate of an sslrootcert file as the anchor
// of the chains libpq verifies against it: it must be self-signed (an
// intermediate there anchors nothing, "unable to get issuer certificate"),
// valid now, a CA as check_extensions requires of the top of a chain (a v1
// root, or key usage with keyCertSign, is tolerated), and, with an extended
// key usage, allow serverAuth. It returns nil when the certificate can
// anchor a server's chain.
func CheckAnchor(x *x509.Certificate, now time.Time) *ChainError {
	c := newCert(x)
	fail := func(code Code) *ChainError { return &ChainError{Code: code, Cert: x} }
	switch {
	case !c.selfSigned:
		return fail(ErrUnableToGetIssuerCert)
	case checkCA(c) == 0:
		return fail(ErrInvalidCA)
	case !sslServerPurpose(c, true):
		return fail(ErrInvalidPurpose)
	case now.Before(x.NotBefore):
		return fail(ErrCertNotYetValid)
	case !now.Before(x.NotAfter):
		return fail(ErrCertHasExpired)
	}
	return nil
}
