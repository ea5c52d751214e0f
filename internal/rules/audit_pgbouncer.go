package rules

import (
	"slices"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/audit"
)

// pgbouncerAuthTypes are the auth_type values PgBouncer knows.
var pgbouncerAuthTypes = []string{"any", "trust", "plain", "md5", "cert", "hba", "ldap", "pam", "scram-sha-256"}

// pgbouncerFindings judges PgBouncer's TLS modes, protocols, ciphers and
// authentication, live (SHOW CONFIG) or from pgbouncer.ini.
// obs, the scans of PgBouncer, say what its client side really accepts.
func pgbouncerFindings(f *audit.Facts, p Policy, obs observed) []Finding {
	s := f.Settings
	var out []Finding
	if f.Kind == audit.KindPgBouncer {
		out = append(out, ok(SourceAudit, f.Subject, CheckAudit, "", "PgBouncer %s", strings.TrimPrefix(orDash(f.Version), "PgBouncer ")))
	}
	setting := func(name string) (audit.Setting, string) {
		v := s[name]
		shown := name + " = " + orDash(v.Value)
		if v.Default && f.Kind == audit.KindPgBouncerINI {
			shown += " (not set: PgBouncer's default)"
		}
		return v, shown
	}
	client, shown := setting("client_tls_sslmode")
	out = append(out, sslModeFinding(f.Subject, "client_tls_sslmode", client, shown, "require", PgBouncerClientPlaintextAllowed,
		"clients may connect without TLS", "", ": clients must use TLS"))
	server, shown := setting("server_tls_sslmode")
	out = append(out, sslModeFinding(f.Subject, "server_tls_sslmode", server, shown, p.ServerTLSSSLMode, PgBouncerServerUnverified,
		"connections to PostgreSQL may be plaintext (policy: "+p.ServerTLSSSLMode+")",
		"PostgreSQL's certificate is not verified as the policy asks ("+p.ServerTLSSSLMode+")", " (policy: "+p.ServerTLSSSLMode+")"))
	clientOn, serverOn := !strings.EqualFold(client.Value, "disable"), !strings.EqualFold(server.Value, "disable")

	for _, side := range []struct {
		prefix string
		on     bool
	}{{"client", clientOn}, {"server", serverOn}} {
		if !side.on {
			continue // the side's TLS settings are not used
		}
		seen := obs
		if side.prefix == "server" {
			seen = nil // PgBouncer as PostgreSQL's client: no scan sees it
		}
		out = append(out, protocolFinding(f.Subject, side.prefix+"_tls_protocols", setting, p, seen))
		name := side.prefix + "_tls_ciphers"
		v, shown := setting(name)
		spec, shortcut := pgbouncerCiphers()[strings.ToLower(v.Value)]
		if !shortcut {
			spec = v.Value
		}
		fnd := cipherFinding(f.Subject, name, v, spec, p, seen)
		fnd.Detail = strings.Replace(fnd.Detail, name+" = "+orDash(v.Value), shown, 1)
		out = append(out, fnd)
	}
	return append(out, authFinding(f.Subject, setting, p))
}

// sslModeFinding judges an sslmode that must be at least least: below
// require TLS is optional (plain says so), else below least it is not
// verified enough (weak); good ends the OK row's detail.
func sslModeFinding(subject, name string, v audit.Setting, shown, least string, code Code, plain, weak, good string) Finding {
	switch rank := sslModeRank(v.Value); {
	case rank < 0:
		return problem(SourceAudit, subject, name, at(v), AuditConfigUnparsable, "%s: PgBouncer refuses this value", shown)
	case rank < sslModeRank("require"):
		return problem(SourceAudit, subject, name, at(v), code, "%s: %s", shown, plain)
	case rank < sslModeRank(least):
		return problem(SourceAudit, subject, name, at(v), code, "%s: %s", shown, weak)
	}
	return ok(SourceAudit, subject, name, at(v), "%s%s", shown, good)
}

// protocolFinding judges client_tls_protocols or server_tls_protocols.
func protocolFinding(subject, name string, setting func(string) (audit.Setting, string), p Policy, obs observed) Finding {
	v, shown := setting(name)
	versions, parsed := pgbouncerProtocols(v.Value)
	if !parsed {
		return problem(SourceAudit, subject, name, at(v), AuditConfigUnparsable,
			"%s: PgBouncer refuses this value (it knows all, secure, default, tlsv1.0 to tlsv1.3, ! to leave one out)", shown)
	}
	var old []string
	for _, ver := range versions {
		if p.OldTLS(ver) {
			old = append(old, ver)
		}
	}
	if len(old) > 0 {
		return problem(SourceAudit, subject, name, at(v), PgBouncerWeakProtocols, "%s allows %s (policy: %s or later)%s",
			shown, strings.Join(old, ", "), p.MinTLSVersion, obs.oldVersions(old))
	}
	return ok(SourceAudit, subject, name, at(v), "%s allows %s", shown, strings.Join(versions, ", "))
}

// authFinding judges auth_type.
func authFinding(subject string, setting func(string) (audit.Setting, string), p Policy) Finding {
	v, shown := setting("auth_type")
	method := strings.ToLower(v.Value)
	switch {
	case !slices.Contains(pgbouncerAuthTypes, method):
		return problem(SourceAudit, subject, "auth_type", at(v), AuditConfigUnparsable, "%s: PgBouncer refuses this value", shown)
	case method == "trust" || method == "any":
		return problem(SourceAudit, subject, "auth_type", at(v), PgBouncerTrustAuth, "%s: clients log in without a password", shown)
	case !slices.Contains(p.AuthMethods, method):
		return problem(SourceAudit, subject, "auth_type", at(v), PgBouncerWeakAuth,
			"%s is not allowed (audit.policy.auth_methods: %s)", shown, strings.Join(p.AuthMethods, ", "))
	case method == "hba":
		return ok(SourceAudit, subject, "auth_type", at(v), "%s: the methods come from auth_hba_file, which is not audited", shown)
	}
	return ok(SourceAudit, subject, "auth_type", at(v), "%s", shown)
}
