package probe

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
)

// VerifyReason classifies why the served certificate failed verify-full. The
// values are short and stable, fit for a label or a check finding.
type VerifyReason string

// The reasons, from a fixed list.
const (
	VerifyNotConfigured    VerifyReason = "not_configured"    // Options.RootCAs was nil
	VerifyNoCertificate    VerifyReason = "no_certificate"    // the server sent no certificate
	VerifyExpired          VerifyReason = "expired"           // now is after NotAfter
	VerifyNotYetValid      VerifyReason = "not_yet_valid"     // now is before NotBefore
	VerifyUnknownAuthority VerifyReason = "unknown_authority" // no chain to RootCAs (self-signed, other CA)
	VerifyNameMismatch     VerifyReason = "name_mismatch"     // ServerName is not in the SANs
	VerifyWrongUsage       VerifyReason = "wrong_usage"       // not usable for server authentication
	VerifyOther            VerifyReason = "other"             // anything else x509 refuses
)

// VerifyError says why the served certificate does not pass verify-full.
// Result.VerifyErr holds one; get it with errors.As.
type VerifyError struct {
	Reason VerifyReason
	// Detail is a sentence a person can act on, e.g.
	// `certificate "CN=db" expired at 2024-05-01T00:00:00Z`.
	Detail string
	// Err is the crypto/x509 error behind it, nil for VerifyNotConfigured
	// and VerifyNoCertificate.
	Err error
}

// Error returns Detail.
func (e *VerifyError) Error() string { return e.Detail }

// Unwrap returns the crypto/x509 error.
func (e *VerifyError) Unwrap() error { return e.Err }

// verify checks the served chain the way libpq's sslmode=verify-full does:
// the leaf must chain to roots (the rest of the served chain may supply
// intermediates), name serverName (a DNS name or an IP) in its SANs, allow
// server authentication, and be valid at now. It returns nil or a
// *VerifyError. x509 checks in the order validity, name, chain, usage, and
// the first failure is reported. Like libpq, a leaf without a SAN of the
// name's kind passes when its common name matches; cnOnly says so, since
// SAN-only clients (Go's crypto/tls) refuse such a leaf. A success that
// memo remembers is not verified again; a new one is remembered there.
func verify(chain []*x509.Certificate, serverName string, roots *x509.CertPool, now time.Time, memo *VerifiedChains) (cnOnly bool, err error) {
	if roots == nil {
		return false, &VerifyError{Reason: VerifyNotConfigured,
			Detail: "verification not configured: no CA certificates given"}
	}
	if len(chain) == 0 {
		return false, &VerifyError{Reason: VerifyNoCertificate, Detail: "server sent no certificate"}
	}
	if cnOnly, ok := memo.lookup(chain, serverName, roots, now); ok {
		return cnOnly, nil
	}
	leaf := chain[0]
	intermediates := x509.NewCertPool()
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	opts := x509.VerifyOptions{
		DNSName:       serverName,
		Roots:         roots,
		Intermediates: intermediates,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		CurrentTime:   now,
	}
	chains, err := leaf.Verify(opts)
	var hostname x509.HostnameError
	if errors.As(err, &hostname) && certs.CoversByCommonName(leaf, serverName) {
		opts.DNSName = "" // the name is libpq's to match: everything else must hold
		if chains, err = leaf.Verify(opts); err == nil {
			memo.remember(chain, serverName, roots, chains[0], true)
			return true, nil
		}
	}
	if err == nil {
		memo.remember(chain, serverName, roots, chains[0], false)
		return false, nil
	}
	return false, explain(err, leaf, now)
}

// explain turns a crypto/x509 verification error into a *VerifyError.
func explain(err error, leaf *x509.Certificate, now time.Time) *VerifyError {
	var (
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		unknown  x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		c := invalid.Cert
		if c == nil {
			c = leaf
		}
		if now.Before(c.NotBefore) {
			return &VerifyError{Reason: VerifyNotYetValid, Err: err, Detail: fmt.Sprintf(
				"%s is not valid until %s (now %s)", describe(c, leaf), stamp(c.NotBefore), stamp(now))}
		}
		return &VerifyError{Reason: VerifyExpired, Err: err, Detail: fmt.Sprintf(
			"%s expired at %s (now %s)", describe(c, leaf), stamp(c.NotAfter), stamp(now))}
	case errors.As(err, &hostname):
		return &VerifyError{Reason: VerifyNameMismatch, Err: err, Detail: nameMismatch(hostname.Certificate, hostname.Host)}
	case errors.As(err, &unknown):
		detail := fmt.Sprintf("%s is signed by an unknown authority: issuer %q is not among the configured CA certificates",
			describe(leaf, leaf), leaf.Issuer.String())
		if selfSigned(leaf) {
			detail = fmt.Sprintf("%s is self-signed and signed by an unknown authority (not by the configured CA)",
				describe(leaf, leaf))
		}
		if hint, ok := strings.CutPrefix(unknown.Error(), "x509: certificate signed by unknown authority "); ok {
			detail += " " + hint
		}
		return &VerifyError{Reason: VerifyUnknownAuthority, Err: err, Detail: detail}
	case errors.As(err, &invalid) && invalid.Reason == x509.IncompatibleUsage:
		return &VerifyError{Reason: VerifyWrongUsage, Err: err, Detail: fmt.Sprintf(
			"%s is not valid for server authentication (extended key usage %s)", describe(leaf, leaf), usages(leaf))}
	default:
		return &VerifyError{Reason: VerifyOther, Err: err, Detail: strings.TrimPrefix(err.Error(), "x509: ")}
	}
}

// describe names c in a message, saying "certificate" for the leaf and
// "chain certificate" for any other.
func describe(c, leaf *x509.Certificate) string {
	kind := "certificate"
	if c != leaf {
		kind = "chain certificate"
	}
	return fmt.Sprintf("%s %q", kind, c.Subject.String())
}

// nameMismatch lists the names c is valid for, DNS names and IPs alike.
func nameMismatch(c *x509.Certificate, host string) string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return fmt.Sprintf("certificate has no subject alternative names and its common name %q does not match %s",
			c.Subject.CommonName, host)
	}
	const maxNames = 20
	if len(names) > maxNames {
		names = append(names[:maxNames], fmt.Sprintf("and %d more", len(names)-maxNames))
	}
	return fmt.Sprintf("certificate is valid for %s, not %s", strings.Join(names, ", "), host)
}

// selfSigned reports whether c names itself as issuer and carries its own
// valid signature.
func selfSigned(c *x509.Certificate) bool {
	return c.Subject.String() == c.Issuer.String() &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// usages spells c's extended key usages for a message.
func usages(c *x509.Certificate) string {
	names := make([]string, 0, len(c.ExtKeyUsage))
	for _, u := range c.ExtKeyUsage {
		switch u {
		case x509.ExtKeyUsageServerAuth:
			names = append(names, "serverAuth")
		case x509.ExtKeyUsageClientAuth:
			names = append(names, "clientAuth")
		case x509.ExtKeyUsageCodeSigning:
			names = append(names, "codeSigning")
		case x509.ExtKeyUsageEmailProtection:
			names = append(names, "emailProtection")
		default:
			names = append(names, fmt.Sprintf("#%d", u))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// stamp formats a time for messages, in UTC to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
