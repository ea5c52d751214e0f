// Package rules is the one place where a finding's meaning and severity are
// decided. Sources (certificate files, live probes, sessions, renew's
// state) produce facts; the judges in this package turn them into findings
// whose problem codes come from Table. The check command renders the
// findings, the collector exports the problems as pgtls_problem, renew
// renews an entry whose problems say so, and the alert rules, the runbook
// and the README's code table are generated from or checked against Table.
package rules

import (
	"strings"
	"unicode"
)

// Code names a problem: stable, snake_case, used as a label value.
type Code string

// Source is where a finding comes from; the source label of pgtls_problem.
type Source string

// Sources of findings.
const (
	SourceFiles    Source = "files"
	SourceProbes   Source = "probes"
	SourceSessions Source = "sessions"
	SourceRenew    Source = "renew"
	SourceConfig   Source = "config"
	SourceAudit    Source = "audit"
	// SourceCARotation is renew's CA rotation (its state file).
	SourceCARotation Source = "ca_rotation"
	SourceScans      Source = "scans"
)

// Problem codes. Each one has exactly one row in Table.
const (
	FileMissing      Code = "file_missing"
	FileUnreadable   Code = "file_unreadable"
	FileInvalid      Code = "file_invalid"
	NotChecked       Code = "not_checked"
	CAUnusable       Code = "ca_unusable"
	Expired          Code = "expired"
	NotYetValid      Code = "not_yet_valid"
	ExpiresVerySoon  Code = "expires_very_soon"
	ExpiresSoon      Code = "expires_soon"
	SANMissing       Code = "san_missing"
	CommonNameOnly   Code = "common_name_only"
	UnknownAuthority Code = "unknown_authority"
	NameMismatch     Code = "name_mismatch"
	ChainInvalid     Code = "chain_invalid"

	AnchorNotSelfSigned     Code = "anchor_not_self_signed"
	LeafKeyUsageRefused     Code = "leaf_key_usage_refused"
	NameConstraintViolation Code = "name_constraint_violation"
	WeakKey                 Code = "weak_key"
	WeakSignature           Code = "weak_signature"
	IPAsDNSSAN              Code = "ip_as_dns_san"
	LeafNotFirst            Code = "leaf_not_first"

	KeyMismatch    Code = "key_mismatch"
	KeyEncrypted   Code = "key_encrypted"
	KeyUnsupported Code = "key_unsupported"
	KeyModeRefused Code = "key_mode_refused"
	KeyModeLoose   Code = "key_mode_loose"
	KeyModeUnknown Code = "key_mode_unknown"

	ConnectionRefused  Code = "connection_refused"
	DialFailed         Code = "dial_failed"
	Timeout            Code = "timeout"
	SSLRefused         Code = "ssl_refused"
	NotPostgres        Code = "not_postgres"
	ConnectionClosed   Code = "connection_closed"
	HandshakeFailed    Code = "handshake_failed"
	ClientCertRequired Code = "client_cert_required"
	ClientCertRejected Code = "client_cert_rejected"
	ALPNNotNegotiated  Code = "alpn_not_negotiated"
	UnsupportedKeyType Code = "unsupported_key_type"
	ProbeMisconfigured Code = "probe_misconfigured"
	StaleCertificate   Code = "stale_certificate"
	DriftUnknown       Code = "drift_unknown"
	OldTLSVersion      Code = "old_tls_version"

	SessionSourceFailed        Code = "session_source_failed"
	PlaintextSessions          Code = "plaintext_sessions"
	PlaintextServerConnections Code = "plaintext_server_connections"
	ServerTLSExpected          Code = "server_tls_expected"

	RenewInterrupted     Code = "renew_interrupted"
	RenewRefused         Code = "renew_refused"
	RenewRolledBack      Code = "renew_rolled_back"
	RenewNotRolledBack   Code = "renew_not_rolled_back"
	RenewRollbackFailed  Code = "renew_rollback_failed"
	RenewStateUnreadable Code = "renew_state_unreadable"

	CARotationStalled         Code = "ca_rotation_stalled"
	CARotationStateUnreadable Code = "ca_rotation_state_unreadable"

	ConfigInvalid Code = "config_invalid"

	AuditSourceFailed               Code = "audit_source_failed"
	AuditGrantMissing               Code = "audit_grant_missing"
	AuditConfigUnparsable           Code = "audit_config_unparsable"
	PgSSLOff                        Code = "pg_ssl_off"
	TLSMinVersionWeak               Code = "tls_min_version_weak"
	WeakCiphers                     Code = "weak_ciphers"
	PasswordEncryptionWeak          Code = "password_encryption_weak"
	HBARuleError                    Code = "hba_rule_error"
	HBATrustTCP                     Code = "hba_trust_tcp"
	HBAPlaintextAllowed             Code = "hba_plaintext_allowed"
	HBAWeakAuth                     Code = "hba_weak_auth"
	PgBouncerClientPlaintextAllowed Code = "pgbouncer_client_plaintext_allowed"
	PgBouncerServerUnverified       Code = "pgbouncer_server_unverified"
	PgBouncerWeakProtocols          Code = "pgbouncer_weak_protocols"
	PgBouncerTrustAuth              Code = "pgbouncer_trust_auth"
	PgBouncerWeakAuth               Code = "pgbouncer_weak_auth"
	ServedFileUnwatched             Code = "served_file_unwatched"

	OldTLSAccepted           Code = "old_tls_accepted"
	WeakCipherAccepted       Code = "weak_cipher_accepted"
	NoForwardSecrecyAccepted Code = "no_forward_secrecy_accepted"
	ScanFailed               Code = "scan_failed"
)

// Rule is what a problem code means.
type Rule struct {
	Code     Code
	Severity Severity
	// Sources that report this code.
	Sources []Source
	// Summary is one line for check, alert summaries and the runbook.
	Summary string
	// Action says what to do about it (the runbook).
	Action string
	// Renew is true when renew treats an entry with this problem as due.
	Renew bool
	// For is how long the problem must last before its alert fires.
	For string
}

// Alert is the name of the alert rule that fires for the code, e.g.
// PgTLSExpiresSoon for expires_soon.
func (r Rule) Alert() string {
	var b strings.Builder
	b.WriteString("PgTLS")
	for _, part := range strings.Split(string(r.Code), "_") {
		switch part {
		case "ca", "san", "ssl", "tls", "alpn", "hba", "tcp", "ip", "dns":
			b.WriteString(strings.ToUpper(part))
		case "pgbouncer":
			b.WriteString("PgBouncer")
		default:
			rs := []rune(part)
			rs[0] = unicode.ToUpper(rs[0])
			b.WriteString(string(rs))
		}
	}
	return b.String()
}

// Table returns every rule, in the order of the README and the runbook.
func Table() []Rule { return append([]Rule(nil), table[:]...) }

// Lookup returns the rule of a code.
func Lookup(c Code) (Rule, bool) {
	for _, r := range table {
		if r.Code == c {
			return r, true
		}
	}
	return Rule{}, false
}

// SeverityOf is the severity of a code; UNKNOWN for a code not in Table.
func SeverityOf(c Code) Severity {
	if r, ok := Lookup(c); ok {
		return r.Severity
	}
	return Unknown
}
