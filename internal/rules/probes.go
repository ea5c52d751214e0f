package rules

import (
	"errors"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/targets"
	"github.com/magflow/pgtls_exporter/probe"
)

// Check names of findings about live handshakes.
const (
	CheckHandshake    = "handshake"
	CheckServedVerify = "served-verify"
	CheckServedExpiry = "served-expiry"
	CheckServedFile   = "served-vs-file"
	CheckServedTLS    = "served-tls-version"
)

// ProbeFindings judges live handshakes. Findings are labelled with the
// target name and its address.
func ProbeFindings(reports []*targets.Report, th Policy, now time.Time) []Finding {
	var out []Finding
	for _, r := range reports {
		out = append(out, TargetFindings(r, th, now)...)
	}
	return out
}

// TargetFindings judges one probe.
func TargetFindings(r *targets.Report, th Policy, now time.Time) []Finding {
	t := r.Target
	var out []Finding
	add := func(f Finding) { out = append(out, f) }
	if r.Err != nil {
		return append(out, problem(SourceProbes, t.Name, CheckHandshake, t.Address, ProbeCode(r.Err), "%v", r.Err))
	}
	res := r.Result
	add(ok(SourceProbes, t.Name, CheckHandshake, t.Address, "%s %s (%s) in %s", res.TLSVersion, res.CipherSuite,
		res.KeyExchangeGroup, res.Duration.Round(time.Millisecond)))
	if th.OldTLS(res.TLSVersion) {
		add(problem(SourceProbes, t.Name, CheckServedTLS, t.Address, OldTLSVersion, "negotiated %s", res.TLSVersion))
	}
	roots := ""
	if r.SystemRoots {
		roots = " (no ca.cert configured: against the system's trusted roots)"
	}
	switch {
	case res.Verified() && res.CommonNameOnly():
		add(problem(SourceProbes, t.Name, CheckServedVerify, t.Address, CommonNameOnly,
			"verify-full passes for %s%s only through the common name: %s", serverName(r), roots, certs.CommonNameClients))
	case res.Verified() && res.IPAsDNS():
		add(problem(SourceProbes, t.Name, CheckServedVerify, t.Address, IPAsDNSSAN,
			"verify-full passes for %s%s only through a DNS SAN holding the address as text: %s", serverName(r), roots, certs.IPAsDNSClients))
	case res.Verified():
		add(ok(SourceProbes, t.Name, CheckServedVerify, t.Address, "verify-full passed for %s%s (as libpq decides it, at OpenSSL security level %d)",
			serverName(r), roots, res.Verification.Level))
	default:
		add(problem(SourceProbes, t.Name, CheckServedVerify, t.Address, VerifyCode(res.Verification.Reason),
			"verify-full fails for %s%s: %s", serverName(r), roots, res.Verification.Detail()))
	}
	if r.Served != nil {
		add(ExpiryFinding(SourceProbes, t.Name, CheckServedExpiry, t.Address, *r.Served, now, th.WarnBefore, th.CritBefore))
	}
	if d := r.Drift; d != nil {
		switch {
		case d.Err != nil:
			add(problem(SourceProbes, t.Name, CheckServedFile, t.Address, DriftUnknown, "cannot compare with %s: %v", d.Entry, d.Err))
		case d.Matches:
			add(ok(SourceProbes, t.Name, CheckServedFile, t.Address, "serves serial %s, the certificate file of %s", r.Served.Serial, d.Entry))
		default:
			add(problem(SourceProbes, t.Name, CheckServedFile, t.Address, StaleCertificate,
				"serves serial %s, but the certificate file of %s holds serial %s: reload pending or failed",
				r.Served.Serial, d.Entry, d.FileSerial))
		}
	}
	return out
}

// ProbeCode classifies why no TLS session was established.
func ProbeCode(err error) Code {
	var pe *probe.Error
	phase := probe.Phase("")
	if errors.As(err, &pe) {
		phase = pe.Phase
	}
	switch {
	case pe == nil, errors.Is(err, probe.ErrInvalidOptions):
		return ProbeMisconfigured
	case errors.Is(err, probe.ErrTimeout):
		return Timeout
	case errors.Is(err, probe.ErrNoTLS):
		return SSLRefused
	case errors.Is(err, probe.ErrUnexpectedReply):
		return NotPostgres
	case errors.Is(err, probe.ErrClientCertificateRequired):
		return ClientCertRequired
	case errors.Is(err, probe.ErrClientCertificateRejected):
		return ClientCertRejected
	case errors.Is(err, probe.ErrALPNNotNegotiated):
		return ALPNNotNegotiated
	case errors.Is(err, probe.ErrUnsupportedKeyType):
		return UnsupportedKeyType
	case errors.Is(err, probe.ErrConnectionClosed):
		return ConnectionClosed
	case errors.Is(err, probe.ErrHandshake):
		return HandshakeFailed
	case phase == probe.PhaseDial && errors.Is(err, syscall.ECONNREFUSED):
		return ConnectionRefused
	case phase == probe.PhaseDial:
		return DialFailed
	}
	return HandshakeFailed
}

// ProbePhase is the step at which a probe failed ("config" when it could
// not be attempted).
func ProbePhase(err error) string {
	var pe *probe.Error
	if errors.As(err, &pe) {
		return string(pe.Phase)
	}
	return "config"
}

func serverName(r *targets.Report) string {
	if r.Target.ServerName != "" {
		return r.Target.ServerName
	}
	return r.Target.Address
}
