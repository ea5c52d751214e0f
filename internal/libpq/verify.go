package libpq

import (
	"crypto/x509"
	"time"
)

// Input is what a libpq client has when it checks a server.
type Input struct {
	// Chain is the chain as the server sends it, leaf first.
	Chain []*x509.Certificate
	// Trust holds the certificates of the sslrootcert file.
	Trust []*x509.Certificate
	// Host is the host the client connects with; "" checks the chain only.
	Host string
	// SecurityLevel is OpenSSL's security level; below 0 means none, and 0
	// skips the key and digest checks as OpenSSL's level 0 does.
	SecurityLevel int
	// Now is the time of the check.
	Now time.Time
}

// Verdict is libpq's answer.
type Verdict struct {
	// Chain is the chain verification built, leaf first; it ends at the
	// anchor when Err is nil.
	Chain []*x509.Certificate
	// Err is the first error of OpenSSL's verification, nil when the chain
	// verifies.
	Err *ChainError
	// Name is how the host matched when Err is nil and Host was given.
	Name HostMatch
	// NameErr is libpq's host name error, nil when the host matches or
	// Host was "" (or the chain failed first).
	NameErr *NameError
	// Undecided names a certificate of the chain whose key or signature
	// algorithm crypto/x509 cannot read (Ed448, RSA-PSS keys): its checks
	// were skipped, so libpq may well decide otherwise. Empty when every
	// check was made.
	Undecided string
	// Changes is the next moment at which the same input may get another
	// answer (a certificate becomes valid or expires); zero when none.
	Changes time.Time
	// Since is the last such moment at or before Now; the answer stands
	// from Since until Changes. Zero when there is none.
	Since time.Time
}

// OK reports whether libpq connects.
func (v Verdict) OK() bool { return v.Err == nil && v.NameErr == nil }

// Verify decides sslmode=verify-full as libpq on OpenSSL 3.0 does; see the
// package documentation for the order of the checks.
func Verify(in Input) Verdict {
	var v Verdict
	v.Since, v.Changes = changes(in)
	if len(in.Chain) == 0 {
		v.Err = &ChainError{Code: ErrUnableToGetIssuerCertLocally}
		return v
	}
	served := make([]*cert, len(in.Chain))
	for i, x := range in.Chain {
		served[i] = newCert(x)
	}
	trust := make([]*cert, len(in.Trust))
	for i, x := range in.Trust {
		trust[i] = newCert(x)
	}
	leaf := served[0]
	bits := levelBits(in.SecurityLevel)
	if bits > 0 && keyBits(leaf.x) < bits {
		v.Err = &ChainError{Code: ErrEEKeyTooSmall, Cert: leaf.x}
		return v
	}
	ch, err := buildChain(leaf, served, trust, in.Now)
	v.Chain = make([]*x509.Certificate, len(ch.certs))
	for i, c := range ch.certs {
		v.Chain[i] = c.x
		if c.x.PublicKeyAlgorithm == x509.UnknownPublicKeyAlgorithm || c.x.SignatureAlgorithm == x509.UnknownSignatureAlgorithm {
			v.Undecided = c.x.Subject.String()
		}
	}
	if err == nil {
		err = checkExtensions(ch)
	}
	if err == nil && bits > 0 {
		err = checkAuthLevel(ch, bits)
	}
	if err == nil {
		err = checkSignaturesAndTimes(ch, in.Now)
	}
	if err == nil {
		err = checkNameConstraints(ch.certs)
	}
	if err != nil {
		v.Err = err
		return v
	}
	if in.Host != "" {
		var nameErr error
		v.Name, nameErr = leaf.matchHost(in.Host)
		if ne, ok := nameErr.(*NameError); ok {
			v.NameErr = ne
		}
	}
	return v
}

// checkExtensions is check_extensions with purpose sslserver: no critical
// extension OpenSSL does not handle; every issuer a CA (X509_check_ca),
// the anchor at least a tolerated one (a v1 root, key usage without basic
// constraints); every certificate fit for the purpose (check_purpose_ssl_server);
// path length constraints.
func checkExtensions(ch *chain) *ChainError {
	plen := 0
	num := len(ch.certs)
	for i, c := range ch.certs {
		fail := func(code Code) *ChainError { return &ChainError{Code: code, Depth: i, Cert: c.x} }
		if c.unhandled {
			return fail(ErrUnhandledCriticalExtension)
		}
		if i > 0 {
			ca := checkCA(c)
			if ca == 0 || i+1 < num && ca != 1 {
				return fail(ErrInvalidCA)
			}
		}
		if !sslServerPurpose(c, i > 0) {
			return fail(ErrInvalidPurpose)
		}
		if i > 1 && pathLen(c) >= 0 && plen > pathLen(c) {
			return fail(ErrPathLengthExceeded)
		}
		if i > 0 && !c.selfIssued {
			plen++
		}
	}
	return nil
}

// checkCA is OpenSSL's check_ca: 0 not a CA, 1 a CA by basic constraints,
// 3 a v1 self-signed root, 4 key usage keyCertSign without basic
// constraints. A key usage without keyCertSign is never a CA.
func checkCA(c *cert) int {
	if c.hasKU && c.x.KeyUsage&x509.KeyUsageCertSign == 0 {
		return 0
	}
	switch {
	case c.hasBC && c.x.IsCA:
		return 1
	case c.hasBC:
		return 0
	case c.x.Version == 1 && c.selfSigned:
		return 3
	case c.hasKU:
		return 4
	}
	return 0
}

// sslServerPurpose is check_purpose_ssl_server: an extended key usage, if
// any, must allow serverAuth (or server gated crypto; anyExtendedKeyUsage
// does not count). A CA must pass check_ssl_ca; the leaf's key usage, if
// any, must allow digitalSignature, keyEncipherment or keyAgreement.
func sslServerPurpose(c *cert, requireCA bool) bool {
	if c.hasEKU && !AllowsServerAuth(c.x) {
		return false
	}
	if requireCA {
		return checkCA(c) != 0
	}
	const tls = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement
	return !c.hasKU || c.x.KeyUsage&tls != 0
}

// AllowsServerAuth reports whether an extended key usage allows a TLS
// server: serverAuth, or either server gated crypto usage
// (anyExtendedKeyUsage does not count for OpenSSL).
func AllowsServerAuth(x *x509.Certificate) bool {
	for _, u := range x.ExtKeyUsage {
		switch u {
		case x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageNetscapeServerGatedCrypto, x509.ExtKeyUsageMicrosoftServerGatedCrypto:
			return true
		}
	}
	return false
}

// pathLen is the basic constraints' pathLenConstraint, -1 when absent.
func pathLen(c *cert) int {
	switch {
	case !c.hasBC || !c.x.IsCA:
		return -1
	case c.x.MaxPathLen > 0 || c.x.MaxPathLenZero:
		return c.x.MaxPathLen
	}
	return -1
}

// checkAuthLevel is check_auth_level: every issuer's key, and the
// signature of every certificate but the anchor, must reach the level.
func checkAuthLevel(ch *chain, bits int) *ChainError {
	num := len(ch.certs)
	for i, c := range ch.certs {
		if i > 0 && keyBits(c.x) < bits {
			return &ChainError{Code: ErrCAKeyTooSmall, Depth: i, Cert: c.x}
		}
		if i < num-1 && signatureBits(c.x) < bits {
			return &ChainError{Code: ErrCAMDTooWeak, Depth: i, Cert: c.x}
		}
	}
	return nil
}

// checkSignaturesAndTimes is internal_verify: from the anchor down, each
// certificate's signature by the one above (not the anchor's own), then
// its validity period.
func checkSignaturesAndTimes(ch *chain, now time.Time) *ChainError {
	for i := len(ch.certs) - 1; i >= 0; i-- {
		c := ch.certs[i]
		if i+1 < len(ch.certs) {
			issuer := ch.certs[i+1].x
			if issuer.PublicKeyAlgorithm != x509.UnknownPublicKeyAlgorithm && c.x.SignatureAlgorithm != x509.UnknownSignatureAlgorithm &&
				issuer.CheckSignature(c.x.SignatureAlgorithm, c.x.RawTBSCertificate, c.x.Signature) != nil {
				return &ChainError{Code: ErrCertSignatureFailure, Depth: i, Cert: c.x}
			}
		}
		if now.Before(c.x.NotBefore) {
			return &ChainError{Code: ErrCertNotYetValid, Depth: i, Cert: c.x}
		}
		if !now.Before(c.x.NotAfter) {
			return &ChainError{Code: ErrCertHasExpired, Depth: i, Cert: c.x}
		}
	}
	return nil
}

// changes are the moments around Now at which a certificate of the input
// becomes valid or expires: the last at or before Now, the first after.
func changes(in Input) (since, next time.Time) {
	consider := func(t time.Time) {
		switch {
		case t.After(in.Now):
			if next.IsZero() || t.Before(next) {
				next = t
			}
		case t.After(since):
			since = t
		}
	}
	for _, list := range [][]*x509.Certificate{in.Chain, in.Trust} {
		for _, x := range list {
			consider(x.NotBefore)
			consider(x.NotAfter)
		}
	}
	return since, next
}
