package libpq

import (
	"crypto/x509"
	"fmt"
)

// Code is an OpenSSL X509_V_ERR_* number, as `openssl verify` prints it
// ("error 20 at 0 depth lookup").
type Code int

// The codes Verify reports, with OpenSSL 3.0's numbers.
const (
	ErrUnableToGetIssuerCert        Code = 2
	ErrCertSignatureFailure         Code = 7
	ErrCertNotYetValid              Code = 9
	ErrCertHasExpired               Code = 10
	ErrDepthZeroSelfSignedCert      Code = 18
	ErrSelfSignedCertInChain        Code = 19
	ErrUnableToGetIssuerCertLocally Code = 20
	ErrUnableToVerifyLeafSignature  Code = 21
	ErrCertChainTooLong             Code = 22
	ErrPathLengthExceeded           Code = 25
	ErrInvalidPurpose               Code = 26
	ErrUnhandledCriticalExtension   Code = 34
	ErrPermittedViolation           Code = 47
	ErrExcludedViolation            Code = 48
	ErrUnsupportedConstraintType    Code = 51
	ErrUnsupportedNameSyntax        Code = 53
	ErrEEKeyTooSmall                Code = 66
	ErrCAKeyTooSmall                Code = 67
	ErrCAMDTooWeak                  Code = 68
	// ErrInvalidCA is 79 since OpenSSL 3.0; 24 became
	// X509_V_ERR_NO_ISSUER_PUBLIC_KEY.
	ErrInvalidCA Code = 79
)

// String is OpenSSL's text for the code (X509_verify_cert_error_string).
func (c Code) String() string {
	switch c {
	case ErrUnableToGetIssuerCert:
		return "unable to get issuer certificate"
	case ErrCertSignatureFailure:
		return "certificate signature failure"
	case ErrCertNotYetValid:
		return "certificate is not yet valid"
	case ErrCertHasExpired:
		return "certificate has expired"
	case ErrDepthZeroSelfSignedCert:
		return "self-signed certificate"
	case ErrSelfSignedCertInChain:
		return "self-signed certificate in certificate chain"
	case ErrUnableToGetIssuerCertLocally:
		return "unable to get local issuer certificate"
	case ErrUnableToVerifyLeafSignature:
		return "unable to verify the first certificate"
	case ErrCertChainTooLong:
		return "certificate chain too long"
	case ErrInvalidCA:
		return "invalid CA certificate"
	case ErrPathLengthExceeded:
		return "path length constraint exceeded"
	case ErrInvalidPurpose:
		return "unsuitable certificate purpose"
	case ErrUnhandledCriticalExtension:
		return "unhandled critical extension"
	case ErrPermittedViolation:
		return "permitted subtree violation"
	case ErrExcludedViolation:
		return "excluded subtree violation"
	case ErrUnsupportedConstraintType:
		return "unsupported name constraint type"
	case ErrUnsupportedNameSyntax:
		return "unsupported or invalid name syntax"
	case ErrEEKeyTooSmall:
		return "EE certificate key too weak"
	case ErrCAKeyTooSmall:
		return "CA certificate key too weak"
	case ErrCAMDTooWeak:
		return "CA signature digest algorithm too weak"
	}
	return fmt.Sprintf("X509_V_ERR %d", int(c))
}

// ChainError is the first error OpenSSL's verification reports: the code,
// the depth (0 is the leaf) and the certificate it is about, when known.
type ChainError struct {
	Code  Code
	Depth int
	Cert  *x509.Certificate
}

// Error reads like `openssl verify`'s line, with the certificate's subject.
func (e *ChainError) Error() string {
	if e.Cert == nil {
		return fmt.Sprintf("%s (depth %d)", e.Code, e.Depth)
	}
	return fmt.Sprintf("%s (depth %d, %q)", e.Code, e.Depth, e.Cert.Subject.String())
}

// NameError says that the leaf does not match the host, as libpq words it.
type NameError struct {
	Host string
	// First is the first name libpq examined, Others how many more.
	First  string
	Others int
	// Problem is set when libpq fails on the certificate itself (an
	// embedded NUL, an IP address of a wrong length) rather than on a
	// mismatch.
	Problem string
}

// Error is libpq's message.
func (e *NameError) Error() string {
	switch {
	case e.Problem != "":
		return e.Problem
	case e.First == "":
		return "could not get server's host name from server certificate"
	case e.Others == 1:
		return fmt.Sprintf("server certificate for %q (and 1 other name) does not match host name %q", e.First, e.Host)
	case e.Others > 1:
		return fmt.Sprintf("server certificate for %q (and %d other names) does not match host name %q", e.First, e.Others, e.Host)
	}
	return fmt.Sprintf("server certificate for %q does not match host name %q", e.First, e.Host)
}
