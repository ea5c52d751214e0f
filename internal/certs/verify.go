package certs

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"
)

// VerifyReason classifies a chain verification result.
type VerifyReason string

// The fixed list of verification outcomes.
const (
	VerifyOK               VerifyReason = "ok"
	VerifyExpired          VerifyReason = "expired"
	VerifyNotYetValid      VerifyReason = "not yet valid"
	VerifyUnknownAuthority VerifyReason = "unknown authority"
	VerifyWrongKeyUsage    VerifyReason = "wrong key usage"
	VerifyNotCA            VerifyReason = "issuer is not a CA"
	VerifyNameMismatch     VerifyReason = "name mismatch"
	VerifyNoCertificate    VerifyReason = "no certificate"
	VerifyOther            VerifyReason = "invalid"
)

// Verification is the outcome of verifying one chain at one moment.
type Verification struct {
	Reason VerifyReason
	// Err carries the library's detail; nil when Reason is VerifyOK.
	Err error
	// RecheckAt is when the outcome can change with time alone (the chain's
	// earliest expiry after success, the latest start before validity); zero
	// when only a file change can change it.
	RecheckAt time.Time
}

// OK reports whether the chain verified.
func (v Verification) OK() bool { return v.Reason == VerifyOK }

// Detail is a one-line explanation for reports.
func (v Verification) Detail() string {
	if v.Err == nil {
		return string(v.Reason)
	}
	return fmt.Sprintf("%s: %v", v.Reason, v.Err)
}

// Authority is a set of trusted root certificates, built once and used for
// many verifications.
type Authority struct {
	Roots *x509.CertPool
	Certs []*x509.Certificate
}

// NewAuthority builds an Authority from CA certificates.
func NewAuthority(cas []*x509.Certificate) *Authority {
	pool := x509.NewCertPool()
	for _, c := range cas {
		pool.AddCert(c)
	}
	return &Authority{Roots: pool, Certs: cas}
}

// Verify checks that chain[0] chains to the authority at now, using the
// rest of chain as intermediates. usage is the extended key usage the leaf
// must allow (x509.ExtKeyUsageServerAuth for servers, ExtKeyUsageAny for a CA
// checked against itself).
func (a *Authority) Verify(chain []*x509.Certificate, usage x509.ExtKeyUsage, now time.Time) Verification {
	if len(chain) == 0 {
		return Verification{Reason: VerifyNoCertificate}
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots: a.Roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{usage},
	})
	if err == nil {
		return Verification{Reason: VerifyOK, RecheckAt: earliestNotAfter(chains[0])}
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Cert != nil && !invalid.Cert.Equal(leaf) {
		err = fmt.Errorf("issuer %q: %w", invalid.Cert.Subject.String(), err)
	}
	v := Verification{Reason: classify(err), Err: err}
	if v.Reason == VerifyNotYetValid {
		v.RecheckAt = latestNotBefore(append(append([]*x509.Certificate{}, chain...), a.Certs...))
	}
	return v
}

func classify(err error) VerifyReason {
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		switch invalid.Reason {
		case x509.Expired:
			if strings.Contains(invalid.Detail, " is before ") {
				return VerifyNotYetValid
			}
			return VerifyExpired
		case x509.IncompatibleUsage:
			return VerifyWrongKeyUsage
		case x509.NotAuthorizedToSign:
			return VerifyNotCA
		}
		return VerifyOther
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return VerifyUnknownAuthority
	}
	var host x509.HostnameError
	if errors.As(err, &host) {
		return VerifyNameMismatch
	}
	return VerifyOther
}

// ClassifyVerifyError classifies an error of x509 verification (a served
// chain's, for example) like Authority.Verify does.
func ClassifyVerifyError(err error) VerifyReason {
	if err == nil {
		return VerifyOK
	}
	return classify(err)
}

func earliestNotAfter(chain []*x509.Certificate) time.Time {
	var t time.Time
	for _, c := range chain {
		if t.IsZero() || c.NotAfter.Before(t) {
			t = c.NotAfter
		}
	}
	return t
}

func latestNotBefore(chain []*x509.Certificate) time.Time {
	var t time.Time
	for _, c := range chain {
		if c.NotBefore.After(t) {
			t = c.NotBefore
		}
	}
	return t
}
