package certs

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/libpq"
)

// VerifyReason classifies a verification result, for every source alike:
// certificate files, served chains and renew's checks.
type VerifyReason string

// The fixed list of verification outcomes.
const (
	VerifyOK                  VerifyReason = "ok"
	VerifyNotConfigured       VerifyReason = "not configured"
	VerifyNoCertificate       VerifyReason = "no certificate"
	VerifyExpired             VerifyReason = "expired"
	VerifyNotYetValid         VerifyReason = "not yet valid"
	VerifyUnknownAuthority    VerifyReason = "unknown authority"
	VerifyAnchorNotSelfSigned VerifyReason = "anchor not self-signed"
	VerifyWrongKeyUsage       VerifyReason = "wrong key usage"
	VerifyLeafKeyUsage        VerifyReason = "leaf key usage refused"
	VerifyNotCA               VerifyReason = "issuer is not a CA"
	VerifyNameConstraint      VerifyReason = "name constraint violation"
	VerifyWeakKey             VerifyReason = "weak key"
	VerifyWeakSignature       VerifyReason = "weak signature"
	VerifyNameMismatch        VerifyReason = "name mismatch"
	VerifyOther               VerifyReason = "invalid"
)

// Verification is the outcome of verifying one chain at one moment, as
// libpq with sslmode=verify-full decides it.
type Verification struct {
	Reason VerifyReason
	// Err explains a failure in a sentence with OpenSSL's or libpq's own
	// words; nil when Reason is VerifyOK.
	Err error
	// Name is how the host matched, when one was given and the chain
	// verified.
	Name libpq.HostMatch
	// Level is the OpenSSL security level the chain was judged at.
	Level int
	// RecheckAt is when the outcome can change with time alone; zero when
	// only a file change can change it.
	RecheckAt time.Time
	// StableSince is when the outcome last could have changed with time
	// (a certificate became valid or expired); the same input gets the same
	// outcome from StableSince until RecheckAt.
	StableSince time.Time
}

// OK reports whether libpq connects.
func (v Verification) OK() bool { return v.Reason == VerifyOK }

// Error returns the explanation, so that a failed Verification can be
// carried as an error.
func (v Verification) Error() string { return v.Detail() }

// Detail is a one-line explanation for reports.
func (v Verification) Detail() string {
	if v.Err == nil {
		return string(v.Reason)
	}
	return v.Err.Error()
}

// Authority is the trust file as libpq loads it, with the OpenSSL security
// level its clients use; built once and used for many verifications.
type Authority struct {
	Certs         []*x509.Certificate
	SecurityLevel int
}

// NewAuthority builds an Authority from the certificates of a CA file.
func NewAuthority(cas []*x509.Certificate, securityLevel int) *Authority {
	return &Authority{Certs: cas, SecurityLevel: securityLevel}
}

// Verify decides whether libpq with sslmode=verify-full accepts chain (as a
// server sends it, leaf first) for host; an empty host checks the chain
// alone.
func (a *Authority) Verify(chain []*x509.Certificate, host string, now time.Time) Verification {
	if a == nil {
		return Verification{Reason: VerifyNotConfigured, Err: errors.New("verification not configured: no CA certificates given")}
	}
	if len(chain) == 0 {
		return Verification{Reason: VerifyNoCertificate, Err: errors.New("no certificate")}
	}
	v := libpq.Verify(libpq.Input{Chain: chain, Trust: a.Certs, Host: host, SecurityLevel: a.SecurityLevel, Now: now})
	out := Verification{Reason: VerifyOK, Name: v.Name, Level: a.SecurityLevel, RecheckAt: v.Changes, StableSince: v.Since}
	switch {
	case v.Err != nil:
		out.Reason = chainReason(v.Err)
		out.Err = &VerifyError{Reason: out.Reason, Chain: v.Err, Level: a.SecurityLevel}
	case v.NameErr != nil:
		out.Reason, out.Err = VerifyNameMismatch, &VerifyError{Reason: VerifyNameMismatch, Name: v.NameErr}
	}
	return out
}

// CheckAnchors judges the certificates of a CA file as anchors of the
// chains verified against it (see libpq.CheckAnchor); the first that
// cannot anchor a chain decides.
func (a *Authority) CheckAnchors(now time.Time) Verification {
	for _, c := range a.Certs {
		if err := libpq.CheckAnchor(c, now); err != nil {
			reason := chainReason(err)
			return Verification{Reason: reason, Level: a.SecurityLevel, Err: &VerifyError{Reason: reason, Chain: err, Level: a.SecurityLevel, anchor: true}}
		}
	}
	return Verification{Reason: VerifyOK, Level: a.SecurityLevel, RecheckAt: earliestNotAfter(a.Certs, now)}
}

// chainReason classifies an OpenSSL verification error.
func chainReason(e *libpq.ChainError) VerifyReason {
	switch e.Code {
	case libpq.ErrCertHasExpired:
		return VerifyExpired
	case libpq.ErrCertNotYetValid:
		return VerifyNotYetValid
	case libpq.ErrUnableToGetIssuerCert:
		return VerifyAnchorNotSelfSigned
	case libpq.ErrUnableToGetIssuerCertLocally, libpq.ErrDepthZeroSelfSignedCert, libpq.ErrSelfSignedCertInChain:
		return VerifyUnknownAuthority
	case libpq.ErrInvalidPurpose:
		switch {
		case e.Cert != nil && hasExtKeyUsage(e.Cert) && !libpq.AllowsServerAuth(e.Cert):
			return VerifyWrongKeyUsage
		case e.Depth == 0:
			return VerifyLeafKeyUsage
		}
		return VerifyNotCA
	case libpq.ErrInvalidCA:
		return VerifyNotCA
	case libpq.ErrPermittedViolation, libpq.ErrExcludedViolation, libpq.ErrUnsupportedConstraintType, libpq.ErrUnsupportedNameSyntax:
		return VerifyNameConstraint
	case libpq.ErrEEKeyTooSmall, libpq.ErrCAKeyTooSmall:
		return VerifyWeakKey
	case libpq.ErrCAMDTooWeak:
		return VerifyWeakSignature
	}
	return VerifyOther
}

func hasExtKeyUsage(c *x509.Certificate) bool {
	return len(c.ExtKeyUsage)+len(c.UnknownExtKeyUsage) > 0
}

func earliestNotAfter(certs []*x509.Certificate, now time.Time) time.Time {
	var t time.Time
	for _, c := range certs {
		if c.NotAfter.After(now) && (t.IsZero() || c.NotAfter.Before(t)) {
			t = c.NotAfter
		}
	}
	return t
}

// VerifyError explains a failed verification: what to fix, then OpenSSL's
// or libpq's words for it.
type VerifyError struct {
	Reason VerifyReason
	// Chain is OpenSSL's error, Name libpq's host name error; one is set.
	Chain  *libpq.ChainError
	Name   *libpq.NameError
	Level  int
	anchor bool
}

// Error says what is wrong, naming the certificate.
func (e *VerifyError) Error() string {
	if e.Name != nil {
		return e.Name.Error()
	}
	c, code := e.Chain.Cert, e.Chain.Code
	who := "the chain"
	if c != nil {
		who = fmt.Sprintf("%q", c.Subject.String())
	}
	openssl := fmt.Sprintf("(OpenSSL: %s, depth %d)", code, e.Chain.Depth)
	if e.anchor {
		openssl = fmt.Sprintf("(OpenSSL: %s)", code)
	}
	var what string
	switch e.Reason {
	case VerifyExpired:
		what = fmt.Sprintf("%s expired at %s", who, stamp(c.NotAfter))
	case VerifyNotYetValid:
		what = fmt.Sprintf("%s is not valid before %s", who, stamp(c.NotBefore))
	case VerifyAnchorNotSelfSigned:
		what = fmt.Sprintf("the CA file holds %s, which is not self-signed (an intermediate); libpq needs the chain to end at a self-signed root in the CA file: add the root that issued it", who)
	case VerifyUnknownAuthority:
		what = unknownAuthority(e.Chain, who)
	case VerifyWrongKeyUsage:
		what = fmt.Sprintf("%s has extended key usage %s, without serverAuth", who, usages(c))
	case VerifyLeafKeyUsage:
		what = fmt.Sprintf("%s has key usage %s, without digitalSignature, keyEncipherment or keyAgreement: OpenSSL refuses it for a server", who, keyUsages(c))
	case VerifyNotCA:
		what = fmt.Sprintf("%s is not a CA (basic constraints, or key usage without keyCertSign)", who)
	case VerifyNameConstraint:
		what = fmt.Sprintf("%s violates a name constraint of an issuing CA (names: %s)", who, namesOf(c))
	case VerifyWeakKey:
		what = fmt.Sprintf("%s has a key too weak for OpenSSL's security level %d: %s", who, e.Level, PublicKeyAlgorithm(c.PublicKey))
	case VerifyWeakSignature:
		what = fmt.Sprintf("%s is signed with %s, too weak for OpenSSL's security level %d", who, c.SignatureAlgorithm, e.Level)
	default:
		what = who + " fails verification"
	}
	return what + " " + openssl
}

func unknownAuthority(e *libpq.ChainError, who string) string {
	switch e.Code {
	case libpq.ErrDepthZeroSelfSignedCert:
		return who + " is self-signed and not in the CA file"
	case libpq.ErrSelfSignedCertInChain:
		return fmt.Sprintf("the chain ends at self-signed %s, which is not in the CA file", who)
	}
	if e.Cert == nil {
		return "no chain to the CA file"
	}
	return fmt.Sprintf("%s is signed by %q, which neither the CA file nor the chain holds", who, e.Cert.Issuer.String())
}

func namesOf(c *x509.Certificate) string {
	if s := SANs(c); s != "" {
		return s
	}
	return "CN=" + c.Subject.CommonName
}

func keyUsages(c *x509.Certificate) string {
	names := []struct {
		bit  x509.KeyUsage
		name string
	}{{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageContentCommitment, "nonRepudiation"},
		{x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageDataEncipherment, "dataEncipherment"},
		{x509.KeyUsageKeyAgreement, "keyAgreement"}, {x509.KeyUsageCertSign, "keyCertSign"}, {x509.KeyUsageCRLSign, "cRLSign"},
		{x509.KeyUsageEncipherOnly, "encipherOnly"}, {x509.KeyUsageDecipherOnly, "decipherOnly"}}
	var out []string
	for _, n := range names {
		if c.KeyUsage&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// usages spells c's extended key usages for a message.
func usages(c *x509.Certificate) string {
	names := make([]string, 0, len(c.ExtKeyUsage)+len(c.UnknownExtKeyUsage))
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
		case x509.ExtKeyUsageAny:
			names = append(names, "anyExtendedKeyUsage")
		default:
			names = append(names, fmt.Sprintf("#%d", u))
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		names = append(names, o.String())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// stamp formats a time for messages, in UTC to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
