package rules

import (
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/ciphers"
	"github.com/magflow/pgtls_exporter/internal/config"
)

// Policy holds every policy value, built once from the configuration with
// its defaults: the expiry thresholds, renew's due threshold, the oldest
// TLS version allowed (for probes, sessions and the audit alike) and what
// the audit calls weak. Nothing outside this package decides a threshold.
type Policy struct {
	// WarnBefore and CritBefore judge server certificates (files and
	// served); CAWarnBefore and CACritBefore the CA.
	WarnBefore, CritBefore, CAWarnBefore, CACritBefore time.Duration
	// RenewBefore is when renew renews an entry (renew.renew_before, which
	// defaults to WarnBefore).
	RenewBefore time.Duration
	// MinTLSVersion is the oldest TLS version a handshake, a session or a
	// server's setting may use, as PostgreSQL spells it (TLSv1, TLSv1.1,
	// TLSv1.2, TLSv1.3).
	MinTLSVersion string
	// ServerTLSSSLMode is the weakest server_tls_sslmode PgBouncer may use.
	ServerTLSSSLMode string
	// WeakCiphers are OpenSSL cipher-string keywords a setting must not
	// enable; Weak is them compiled, the test of a weak suite.
	WeakCiphers []string
	Weak        ciphers.Weakness
	// AuthMethods are the authentication methods allowed over TCP.
	AuthMethods []string
	// ForwardSecrecy asks servers to refuse static RSA key exchange.
	ForwardSecrecy bool
}

// PolicyOf returns the configuration's policy, with its defaults.
func PolicyOf(cfg *config.Config) Policy {
	var p Policy
	p.WarnBefore, p.CritBefore, p.CAWarnBefore, p.CACritBefore = cfg.Thresholds.Durations()
	p.RenewBefore = cfg.RenewBefore()
	a := cfg.Audit.Policy
	p.MinTLSVersion, p.ServerTLSSSLMode = a.MinTLSVersionOrDefault(), a.ServerTLSSSLModeOrDefault()
	p.WeakCiphers, p.AuthMethods = a.WeakCiphersOrDefault(), a.AuthMethodsOrDefault()
	p.ForwardSecrecy = a.ForwardSecrecyOrDefault()
	p.Weak = ciphers.CompileWeakness(p.WeakCiphers)
	return p
}

// DefaultPolicy is the policy of a configuration that sets none: 30 and 7
// days for server certificates, 90 and 30 days for the CA, TLS 1.2.
func DefaultPolicy() Policy { return PolicyOf(&config.Config{}) }

// OldTLS reports whether a protocol version, as PostgreSQL, PgBouncer and
// Go spell it ("TLSv1.2", "TLSv1.0", "SSLv3"), is older than the policy's
// minimum.
func (p Policy) OldTLS(version string) bool {
	switch version {
	case "SSLv2", "SSLv3":
		return true
	case "TLSv1.0":
		version = "TLSv1"
	}
	v := tlsRank(version)
	return v >= 0 && v < tlsRank(p.MinTLSVersion)
}

// Renewal is the policy renew judges an entry by: renew_before as the
// warning threshold, so that an entry within it is due.
func (p Policy) Renewal() Policy {
	p.WarnBefore = p.RenewBefore
	p.CritBefore = min(p.CritBefore, p.RenewBefore)
	return p
}

// minTLSWords is the policy's minimum as findings word it: "1.2" for
// TLSv1.2, "1.0" for TLSv1.
func (p Policy) minTLSWords() string {
	if p.MinTLSVersion == "TLSv1" {
		return "1.0"
	}
	return strings.TrimPrefix(p.MinTLSVersion, "TLSv")
}
