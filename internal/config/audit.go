package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/ciphers"
)

// Defaults of the audit policy.
const (
	DefaultMinTLSVersion             = "TLSv1.2"
	DefaultPgBouncerServerTLSSSLMode = "verify-full"
)

// DefaultWeakCiphers are the OpenSSL cipher-string keywords the audit
// calls weak when a cipher setting enables them: no encryption (eNULL, as
// NULL) or no authentication, export and low grades, MEDIUM (3DES, SEED,
// IDEA, RC4 under OpenSSL 1.1), single and triple DES, RC4 and MD5.
func DefaultWeakCiphers() []string {
	return []string{"eNULL", "aNULL", "EXPORT", "DES", "3DES", "RC4", "MD5", "LOW", "MEDIUM"}
}

// DefaultAuthMethods are the authentication methods the audit accepts over
// TCP: all of PostgreSQL's and PgBouncer's but password and plain (the
// password crosses in clear), md5, and trust and any (which have their own
// findings).
func DefaultAuthMethods() []string {
	return []string{"scram-sha-256", "cert", "gss", "sspi", "ldap", "radius", "pam", "bsd", "ident", "hba"}
}

// authMethods are the methods pg_hba.conf and PgBouncer's auth_type know,
// but trust, any and reject, which a policy cannot allow or forbid.
var authMethods = []string{"scram-sha-256", "md5", "password", "plain", "cert", "gss", "sspi", "ldap", "radius",
	"pam", "bsd", "ident", "peer", "hba"}

// TLSVersions are the values of min_tls_version, oldest first, as
// PostgreSQL's ssl_min_protocol_version spells them.
var TLSVersions = []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

// Audit configures the TLS posture audit: what the servers allow (TLS
// switched off, plaintext pg_hba rules, weak TLS versions, ciphers and
// authentication), judged live over the session connections and offline
// from configuration files.
type Audit struct {
	// Live audits every server under sessions over its session connection.
	Live bool `yaml:"live"`
	// Files are configuration files judged offline, for servers the
	// exporter cannot query.
	Files AuditFiles `yaml:"files"`
	// PathMap says where the servers' file paths are found on this host.
	PathMap []PathMapping `yaml:"path_map"`
	// Policy says what counts as weak.
	Policy AuditPolicy `yaml:"policy"`
	// Acknowledge lists findings that stay visible but do not alert.
	Acknowledge []Acknowledgement `yaml:"acknowledge"`
}

// AuditFiles are configuration files given by path.
type AuditFiles struct {
	// PgHBA are pg_hba.conf files (include directives and @files are
	// followed as PostgreSQL 16 and later do).
	PgHBA []string `yaml:"pg_hba"`
	// PgBouncerINI are pgbouncer.ini files (%include is followed).
	PgBouncerINI []string `yaml:"pgbouncer_ini"`
}

// PathMapping maps a folder as a server sees it to the folder where the
// exporter finds the same files.
type PathMapping struct {
	// From is an absolute folder in the server's view, e.g.
	// /var/lib/postgresql/data.
	From string `yaml:"from"`
	// To is that folder on this host; relative to the configuration folder.
	To string `yaml:"to"`
}

// AuditPolicy is what the audit calls weak.
type AuditPolicy struct {
	// MinTLSVersion is the oldest TLS version a server may accept
	// (default TLSv1.2).
	MinTLSVersion string `yaml:"min_tls_version"`
	// PgBouncerServerTLSSSLMode is the weakest server_tls_sslmode allowed:
	// require, verify-ca or verify-full (default).
	PgBouncerServerTLSSSLMode string `yaml:"pgbouncer_server_tls_sslmode"`
	// WeakCiphers are OpenSSL cipher-string keywords a cipher setting must
	// not enable (default DefaultWeakCiphers).
	WeakCiphers []string `yaml:"weak_ciphers"`
	// AuthMethods are the authentication methods allowed over TCP
	// (default DefaultAuthMethods).
	AuthMethods []string `yaml:"auth_methods"`
	// ForwardSecrecy, when false, accepts static RSA key exchange: a scan
	// that sees it gives no no_forward_secrecy_accepted (default true).
	ForwardSecrecy *bool `yaml:"forward_secrecy"`
}

// Acknowledgement keeps a known finding visible without alerting.
type Acknowledgement struct {
	// Code is the finding's problem code.
	Code string `yaml:"code"`
	// Subject is the finding's subject: postgres/NAME, pgbouncer/NAME or
	// an audited file's path as configured.
	Subject string `yaml:"subject"`
	// Match narrows it to findings whose location (a setting's name, or a
	// file:line, matched as a path suffix) it names; empty: every finding
	// of the code and subject.
	Match string `yaml:"match"`
	// Reason says why, and until when.
	Reason string `yaml:"reason"`
}

// Enabled reports whether anything is audited.
func (a Audit) Enabled() bool {
	return a.Live || len(a.Files.PgHBA) > 0 || len(a.Files.PgBouncerINI) > 0
}

// MinTLSVersionOrDefault is min_tls_version with its default.
func (p AuditPolicy) MinTLSVersionOrDefault() string {
	if p.MinTLSVersion != "" {
		return p.MinTLSVersion
	}
	return DefaultMinTLSVersion
}

// ServerTLSSSLModeOrDefault is pgbouncer_server_tls_sslmode with its default.
func (p AuditPolicy) ServerTLSSSLModeOrDefault() string {
	if p.PgBouncerServerTLSSSLMode != "" {
		return p.PgBouncerServerTLSSSLMode
	}
	return DefaultPgBouncerServerTLSSSLMode
}

// WeakCiphersOrDefault is weak_ciphers with its default.
func (p AuditPolicy) WeakCiphersOrDefault() []string {
	if p.WeakCiphers != nil {
		return p.WeakCiphers
	}
	return DefaultWeakCiphers()
}

// ForwardSecrecyOrDefault is forward_secrecy with its default (true).
func (p AuditPolicy) ForwardSecrecyOrDefault() bool {
	return p.ForwardSecrecy == nil || *p.ForwardSecrecy
}

// AuthMethodsOrDefault is auth_methods with its default.
func (p AuditPolicy) AuthMethodsOrDefault() []string {
	if p.AuthMethods != nil {
		return p.AuthMethods
	}
	return DefaultAuthMethods()
}

// cipherKeyword is one OpenSSL cipher-string keyword, e.g. aNULL or 3DES.
var cipherKeyword = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// validateAudit checks the audit section.
func (c *Config) validateAudit(add func(path, format string, args ...any)) {
	a := c.Audit
	if a.Live && len(c.Sessions.Postgres) == 0 && len(c.Sessions.PgBouncer) == 0 {
		add("audit.live", "no server under sessions to audit")
	}
	c.validateAuditFiles("audit.files.pg_hba", a.Files.PgHBA, add)
	c.validateAuditFiles("audit.files.pgbouncer_ini", a.Files.PgBouncerINI, add)
	for i, m := range a.PathMap {
		p := fmt.Sprintf("audit.path_map[%d]", i)
		if !filepath.IsAbs(m.From) {
			add(p+".from", "%q must be an absolute path", m.From)
		}
		if m.To == "" {
			add(p+".to", "is required")
		}
	}
	pol := a.Policy
	if pol.MinTLSVersion != "" && !slices.Contains(TLSVersions, pol.MinTLSVersion) {
		add("audit.policy.min_tls_version", "%q is none of %s", pol.MinTLSVersion, strings.Join(TLSVersions, ", "))
	}
	if m := pol.PgBouncerServerTLSSSLMode; m != "" && !slices.Contains([]string{"require", "verify-ca", "verify-full"}, m) {
		add("audit.policy.pgbouncer_server_tls_sslmode", "%q is none of require, verify-ca, verify-full", m)
	}
	for i, k := range pol.WeakCiphers {
		switch {
		case !cipherKeyword.MatchString(k):
			add(fmt.Sprintf("audit.policy.weak_ciphers[%d]", i), "%q is not one OpenSSL cipher keyword (letters and digits, e.g. 3DES, aNULL)", k)
		case !ciphers.Known(k):
			add(fmt.Sprintf("audit.policy.weak_ciphers[%d]", i), "%q is no OpenSSL cipher keyword or suite name (e.g. 3DES, aNULL, MEDIUM): it would select nothing", k)
		}
	}
	for i, m := range pol.AuthMethods {
		switch {
		case m == "trust" || m == "any" || m == "reject":
			add(fmt.Sprintf("audit.policy.auth_methods[%d]", i), "%q cannot be listed: trust and any always have their own finding, reject is never one", m)
		case !slices.Contains(authMethods, m):
			add(fmt.Sprintf("audit.policy.auth_methods[%d]", i), "%q is not an authentication method of pg_hba.conf or PgBouncer (%s)", m, strings.Join(authMethods, ", "))
		}
	}
	c.validateAcknowledgements(add)
}

func (c *Config) validateAuditFiles(list string, paths []string, add func(path, format string, args ...any)) {
	seen := map[string]int{}
	for i, f := range paths {
		p := fmt.Sprintf("%s[%d]", list, i)
		if f == "" {
			add(p, "is empty")
			continue
		}
		key := filepath.Clean(c.Resolve(f))
		if j, dup := seen[key]; dup {
			add(p, "%s is already %s[%d]", f, list, j)
		}
		seen[key] = i
	}
}

func (c *Config) validateAcknowledgements(add func(path, format string, args ...any)) {
	seen := map[Acknowledgement]int{}
	for i, a := range c.Audit.Acknowledge {
		p := fmt.Sprintf("audit.acknowledge[%d]", i)
		if a.Code == "" { // which codes are the audit's, the rules table says (rules.Load)
			add(p+".code", "is required")
		}
		if a.Subject == "" {
			add(p+".subject", "is required (postgres/NAME, pgbouncer/NAME or an audited file as configured)")
		}
		if strings.TrimSpace(a.Reason) == "" {
			add(p+".reason", "is required: say why the finding is accepted, and until when")
		}
		key := Acknowledgement{Code: a.Code, Subject: a.Subject, Match: a.Match}
		if j, dup := seen[key]; dup {
			add(p, "acknowledges the same findings as audit.acknowledge[%d]", j)
		}
		seen[key] = i
	}
}

// ResolvedPathMap is path_map with every To resolved against the
// configuration folder.
func (c *Config) ResolvedPathMap() []PathMapping {
	out := make([]PathMapping, len(c.Audit.PathMap))
	for i, m := range c.Audit.PathMap {
		out[i] = PathMapping{From: filepath.Clean(m.From), To: c.Resolve(m.To)}
	}
	return out
}
