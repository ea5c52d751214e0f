package rules

import (
	"slices"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/audit"
	"github.com/magflow/pgtls_exporter/internal/ciphers"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/pghba"
	"github.com/magflow/pgtls_exporter/internal/scans"
)

// Check names of audit findings besides the settings' own names.
const (
	CheckAudit  = "audit"  // the subject was read; a summary
	CheckGrants = "grants" // what the monitoring role may read
	CheckParse  = "parse"  // a file that cannot be read or parsed
	CheckHBA    = "pg_hba" // one pg_hba.conf rule
)

// AuditFindings judges what the audit found about one subject.
// reports are the targets' last TLS scans; those of the subject's server
// say whether it really accepts what its settings allow.
func AuditFindings(f *audit.Facts, p Policy, reports []scans.Report) []Finding {
	if f.Err != nil {
		return []Finding{problem(SourceAudit, f.Subject, CheckAudit, "", AuditSourceFailed, "%v", f.Err)}
	}
	var out []Finding
	for _, u := range f.Unparsable {
		out = append(out, problem(SourceAudit, f.Subject, CheckParse, u.Where, AuditConfigUnparsable, "%s", u.Msg))
	}
	if len(f.MissingGrants) > 0 {
		out = append(out, problem(SourceAudit, f.Subject, CheckGrants, "", AuditGrantMissing, "%s", strings.Join(f.MissingGrants, "; ")))
	}
	switch f.Kind {
	case audit.KindPostgres:
		out = append(out, postgresFindings(f, p, observedFor(f, reports))...)
	case audit.KindPgBouncer, audit.KindPgBouncerINI:
		if len(f.Unparsable) == 0 && len(f.MissingGrants) == 0 {
			out = append(out, pgbouncerFindings(f, p, observedFor(f, reports))...)
		}
	}
	if f.HBAKnown {
		out = append(out, hbaFindings(f.Subject, f.HBA, p)...)
	}
	return append(out, fileFindings(f)...)
}

// at is where a setting is set, for the PATH column.
func at(s audit.Setting) string { return s.Where }

// postgresFindings judges PostgreSQL's TLS and password settings.
func postgresFindings(f *audit.Facts, p Policy, obs observed) []Finding {
	s := f.Settings
	ssl := s["ssl"]
	out := []Finding{ok(SourceAudit, f.Subject, CheckAudit, "", "PostgreSQL %s", orDash(f.Version))}
	if ssl.Value != "on" {
		return append(out, problem(SourceAudit, f.Subject, "ssl", at(ssl), PgSSLOff, "ssl = %s: every TCP connection is plaintext", orDash(ssl.Value)),
			passwordFinding(f.Subject, s["password_encryption"]))
	}
	out = append(out, ok(SourceAudit, f.Subject, "ssl", at(ssl), "ssl = on"))
	minV := s["ssl_min_protocol_version"]
	if old := olderThanPolicy(minV.Value, p); len(old) > 0 {
		out = append(out, problem(SourceAudit, f.Subject, "ssl_min_protocol_version", at(minV), TLSMinVersionWeak,
			"ssl_min_protocol_version = %s allows %s, older than %s (audit.policy.min_tls_version)%s",
			orDash(minV.Value), strings.Join(old, ", "), p.MinTLSVersion, obs.oldVersions(old)))
	} else {
		out = append(out, ok(SourceAudit, f.Subject, "ssl_min_protocol_version", at(minV), "ssl_min_protocol_version = %s (policy: %s)",
			minV.Value, p.MinTLSVersion))
	}
	out = append(out, cipherFinding(f.Subject, "ssl_ciphers", s["ssl_ciphers"], s["ssl_ciphers"].Value, p, obs))
	return append(out, passwordFinding(f.Subject, s["password_encryption"]))
}

func passwordFinding(subject string, s audit.Setting) Finding {
	if s.Value == "scram-sha-256" {
		return ok(SourceAudit, subject, "password_encryption", at(s), "password_encryption = scram-sha-256")
	}
	return problem(SourceAudit, subject, "password_encryption", at(s), PasswordEncryptionWeak,
		"password_encryption = %s: new passwords are stored as MD5 hashes", orDash(s.Value))
}

// cipherFinding judges one cipher setting; spec is the OpenSSL string it
// stands for.
// It is judged by the suites OpenSSL really enables for it, never by the
// keywords it names.
// obs, the scans of the server, say how many weak suites it accepts.
func cipherFinding(subject, name string, s audit.Setting, spec string, p Policy, obs observed) Finding {
	enabled, err := ciphers.Parse(spec, ciphers.DefaultLevel)
	if err != nil {
		return problem(SourceAudit, subject, name, at(s), AuditConfigUnparsable, "%s = %s: %v", name, orDash(s.Value), err)
	}
	n := len(enabled.Suites)
	weak := weakEnabled(enabled.Suites, p)
	if len(weak) == 0 {
		return ok(SourceAudit, subject, name, at(s), "%s = %s enables %d TLS 1.2 %s at security level %d, none weak",
			name, orDash(s.Value), n, plural(n, "suite", "suites"), enabled.Level)
	}
	return problem(SourceAudit, subject, name, at(s), WeakCiphers, "%s = %s enables %d weak %s at security level %d (audit.policy.weak_ciphers): %s%s",
		name, s.Value, len(weak), plural(len(weak), "suite", "suites"), enabled.Level, listSome(weak), obs.weakSuites(p))
}

// hbaFindings judges every pg_hba rule: an erroneous one, trust over TCP,
// TCP without TLS, and methods the policy does not allow over TCP.
func hbaFindings(subject string, rules []pghba.Rule, p Policy) []Finding {
	var out []Finding
	tcp := 0
	for _, r := range rules {
		text := ruleText(r)
		switch {
		case r.Error != "" && text == "":
			out = append(out, problem(SourceAudit, subject, CheckHBA, r.Where(), HBARuleError, "%s", r.Error))
			continue
		case r.Error != "":
			out = append(out, problem(SourceAudit, subject, CheckHBA, r.Where(), HBARuleError, "%s: %s", text, r.Error))
			continue
		case !r.TCP():
			continue
		}
		if tcp++; r.Method == "reject" {
			continue
		}
		if r.Method == "trust" {
			if cc, _ := r.Option("clientcert"); r.Type != pghba.TypeHostSSL || cc != "verify-full" {
				out = append(out, problem(SourceAudit, subject, CheckHBA, r.Where(), HBATrustTCP,
					"%s: TCP connections log in without a password or certificate", text))
			}
		} else if !slices.Contains(p.AuthMethods, r.Method) {
			out = append(out, problem(SourceAudit, subject, CheckHBA, r.Where(), HBAWeakAuth,
				"%s: method %s is not allowed over TCP (audit.policy.auth_methods)", text, r.Method))
		}
		if r.Type == pghba.TypeHost || r.Type == pghba.TypeHostNoSSL || r.Type == pghba.TypeHostNoGSSEnc {
			out = append(out, problem(SourceAudit, subject, CheckHBA, r.Where(), HBAPlaintextAllowed,
				"%s: TCP connections from %s get in without TLS", text, ruleFrom(r)))
		}
	}
	if len(out) == 0 {
		file := ""
		if len(rules) > 0 {
			file = rules[0].File
		}
		out = append(out, ok(SourceAudit, subject, CheckHBA, file, "%d %s, %d for TCP: each needs TLS and an allowed method, or rejects",
			len(rules), plural(len(rules), "rule", "rules"), tcp))
	}
	return out
}

// ruleText is the rule as pg_hba.conf would spell it.
func ruleText(r pghba.Rule) string {
	parts := []string{r.Type, strings.Join(r.Databases, ","), strings.Join(r.Users, ","), r.Address, r.Netmask, r.Method}
	parts = append(parts, r.Options...)
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

func ruleFrom(r pghba.Rule) string {
	switch {
	case r.Address == "all":
		return "any address"
	case r.Netmask != "":
		return r.Address + " " + r.Netmask
	}
	return r.Address
}

// fileFindings says, for every certificate, key and CA file a server
// reads, whether the configuration watches it.
func fileFindings(f *audit.Facts) []Finding {
	var out []Finding
	for _, file := range f.Files {
		if file.Role == audit.RoleCRL || !sideOn(f, file.Setting) {
			continue
		}
		seen := file.Path
		if file.Local != "" && file.Local != file.Path {
			seen += " (here " + file.Local + ")"
		}
		switch {
		case !file.Visible:
			out = append(out, ok(SourceAudit, f.Subject, file.Setting, file.Path,
				"%s is not visible to the exporter (not this host, or no audit.path_map for it)", file.Path))
		case file.Entry == "":
			out = append(out, problem(SourceAudit, f.Subject, file.Setting, file.Path, ServedFileUnwatched,
				"%s is no file of the configuration: its expiry and renewal go unseen", seen))
		default:
			out = append(out, ok(SourceAudit, f.Subject, file.Setting, file.Path, "%s is the %s file of %s", seen, file.Field, file.Entry))
		}
	}
	return out
}

// sideOn reports whether the TLS side a PgBouncer file setting belongs to
// is in use (its sslmode is not disable); PostgreSQL's need ssl = on.
func sideOn(f *audit.Facts, setting string) bool {
	switch {
	case strings.HasPrefix(setting, "client_"):
		return !strings.EqualFold(f.Settings["client_tls_sslmode"].Value, "disable")
	case strings.HasPrefix(setting, "server_"):
		return !strings.EqualFold(f.Settings["server_tls_sslmode"].Value, "disable")
	}
	return f.Settings["ssl"].Value == "on"
}

// JudgeAudit judges one subject's facts and applies the acknowledgements:
// the findings, and the acknowledgements that covered some of them.
func JudgeAudit(f *audit.Facts, p Policy, acks []config.Acknowledgement, reports []scans.Report) ([]Finding, []Acknowledged) {
	findings := AuditFindings(f, p, reports)
	return findings, Acknowledge(findings, acks)
}
