package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/audit"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/pghba"
)

// rows renders findings one a line: entry, check, status, code, path,
// detail, and the acknowledgement's reason.
func rows(findings []Finding) []string {
	var out []string
	for _, f := range findings {
		s := fmt.Sprintf("%s | %s | %s | %s | %s | %s", f.Entry, f.Check, f.Status, orDash(string(f.Code)), orDash(f.Path), f.Detail)
		if f.Acknowledged != "" {
			s += " | ack: " + f.Acknowledged
		}
		out = append(out, s)
	}
	return out
}

func equalRows(t *testing.T, got []Finding, want []string) {
	t.Helper()
	if g := rows(got); !slices.Equal(g, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

func defaultPolicy() Policy { return DefaultPolicy() }

func TestAuditPostgres(t *testing.T) {
	weak := &audit.Facts{Subject: "postgres/db", Kind: audit.KindPostgres, Version: "15.14", HBAKnown: true,
		Settings: map[string]audit.Setting{
			"ssl":                      {Value: "on", Where: "/d/postgresql.conf:9"},
			"ssl_min_protocol_version": {Value: "TLSv1", Where: "/d/postgresql.conf:10"},
			"ssl_ciphers":              {Value: "HIGH:MEDIUM:+3DES:!aNULL", Default: true},
			"password_encryption":      {Value: "md5", Where: "/d/postgresql.auto.conf:3"},
		},
		HBA: []pghba.Rule{
			{File: "/d/pg_hba.conf", Line: 2, Type: "local", Databases: []string{"all"}, Users: []string{"all"}, Method: "trust"},
			{File: "/d/pg_hba.conf", Line: 3, Type: "hostssl", Databases: []string{"all"}, Users: []string{"all"}, Address: "0.0.0.0/0", Method: "scram-sha-256"},
			{File: "/d/pg_hba.conf", Line: 4, Type: "host", Databases: []string{"all"}, Users: []string{"app"}, Address: "10.0.0.0", Netmask: "255.0.0.0", Method: "md5"},
			{File: "/d/pg_hba.conf", Line: 5, Type: "hostnossl", Databases: []string{"all"}, Users: []string{"all"}, Address: "all", Method: "trust"},
			{File: "/d/pg_hba.conf", Line: 6, Type: "hostssl", Databases: []string{"all"}, Users: []string{"all"}, Address: "::1/128", Method: "password"},
			{File: "/d/pg_hba.conf", Line: 7, Type: "hostssl", Databases: []string{"all"}, Users: []string{"admin"}, Address: "all", Method: "trust", Options: []string{"clientcert=verify-full"}},
			{File: "/d/pg_hba.conf", Line: 8, Type: "hostnossl", Databases: []string{"all"}, Users: []string{"all"}, Address: "all", Method: "reject"},
			{File: "/d/hba.d/x.conf", Line: 1, Error: `invalid authentication method "scram"`},
		},
		Files: []audit.TLSFile{
			{Setting: "ssl_cert_file", Role: audit.RoleCert, Path: "/d/server.crt", Local: "/d/server.crt", Visible: true, Entry: "postgres", Field: "cert"},
			{Setting: "ssl_key_file", Role: audit.RoleKey, Path: "/d/server.key", Local: "/d/server.key", Visible: true},
			{Setting: "ssl_ca_file", Role: audit.RoleCA, Path: "/etc/ca.crt"},
			{Setting: "ssl_crl_file", Role: audit.RoleCRL, Path: "/d/root.crl", Local: "/d/root.crl", Visible: true},
		}}
	equalRows(t, AuditFindings(weak, defaultPolicy(), nil), []string{
		"postgres/db | audit | OK | - | - | PostgreSQL 15.14",
		"postgres/db | ssl | OK | - | /d/postgresql.conf:9 | ssl = on",
		"postgres/db | ssl_min_protocol_version | WARNING | tls_min_version_weak | /d/postgresql.conf:10 | ssl_min_protocol_version = TLSv1 allows TLSv1, TLSv1.1, older than TLSv1.2 (audit.policy.min_tls_version)",
		"postgres/db | ssl_ciphers | OK | - | - | ssl_ciphers = HIGH:MEDIUM:+3DES:!aNULL enables 71 TLS 1.2 suites at security level 2, none weak",
		"postgres/db | password_encryption | WARNING | password_encryption_weak | /d/postgresql.auto.conf:3 | password_encryption = md5: new passwords are stored as MD5 hashes",
		"postgres/db | pg_hba | WARNING | hba_weak_auth | /d/pg_hba.conf:4 | host all app 10.0.0.0 255.0.0.0 md5: method md5 is not allowed over TCP (audit.policy.auth_methods)",
		"postgres/db | pg_hba | WARNING | hba_plaintext_allowed | /d/pg_hba.conf:4 | host all app 10.0.0.0 255.0.0.0 md5: TCP connections from 10.0.0.0 255.0.0.0 get in without TLS",
		"postgres/db | pg_hba | CRITICAL | hba_trust_tcp | /d/pg_hba.conf:5 | hostnossl all all all trust: TCP connections log in without a password or certificate",
		"postgres/db | pg_hba | WARNING | hba_plaintext_allowed | /d/pg_hba.conf:5 | hostnossl all all all trust: TCP connections from any address get in without TLS",
		"postgres/db | pg_hba | WARNING | hba_weak_auth | /d/pg_hba.conf:6 | hostssl all all ::1/128 password: method password is not allowed over TCP (audit.policy.auth_methods)",
		`postgres/db | pg_hba | CRITICAL | hba_rule_error | /d/hba.d/x.conf:1 | invalid authentication method "scram"`,
		"postgres/db | ssl_cert_file | OK | - | /d/server.crt | /d/server.crt is the cert file of postgres",
		"postgres/db | ssl_key_file | WARNING | served_file_unwatched | /d/server.key | /d/server.key is no file of the configuration: its expiry and renewal go unseen",
		"postgres/db | ssl_ca_file | OK | - | /etc/ca.crt | /etc/ca.crt is not visible to the exporter (not this host, or no audit.path_map for it)",
	})

	off := &audit.Facts{Subject: "postgres/db", Kind: audit.KindPostgres, Version: "15.14",
		Settings: map[string]audit.Setting{"ssl": {Value: "off", Default: true}, "password_encryption": {Value: "scram-sha-256", Default: true}},
		Files:    []audit.TLSFile{{Setting: "ssl_cert_file", Role: audit.RoleCert, Path: "/d/server.crt", Visible: true}}}
	off.MissingGrants = []string{"role \"monitor\" may not read pg_hba_file_rules (GRANT ...)"}
	equalRows(t, AuditFindings(off, defaultPolicy(), nil), []string{
		`postgres/db | grants | UNKNOWN | audit_grant_missing | - | role "monitor" may not read pg_hba_file_rules (GRANT ...)`,
		"postgres/db | audit | OK | - | - | PostgreSQL 15.14",
		"postgres/db | ssl | CRITICAL | pg_ssl_off | - | ssl = off: every TCP connection is plaintext",
		"postgres/db | password_encryption | OK | - | - | password_encryption = scram-sha-256",
	})

	down := &audit.Facts{Subject: "postgres/db", Kind: audit.KindPostgres, Err: errors.New(`postgres "db": connect: connection refused`)}
	equalRows(t, AuditFindings(down, defaultPolicy(), nil), []string{
		`postgres/db | audit | UNKNOWN | audit_source_failed | - | postgres "db": connect: connection refused`,
	})

	hardened := &audit.Facts{Subject: "postgres/db", Kind: audit.KindPostgres, Version: "17.2", HBAKnown: true,
		Settings: map[string]audit.Setting{"ssl": {Value: "on"}, "ssl_min_protocol_version": {Value: "TLSv1.3"},
			"ssl_ciphers": {Value: "HIGH:!aNULL"}, "password_encryption": {Value: "scram-sha-256"}},
		HBA: []pghba.Rule{{File: "/d/pg_hba.conf", Line: 1, Type: "hostssl", Databases: []string{"all"}, Users: []string{"all"}, Address: "all", Method: "cert"},
			{File: "/d/pg_hba.conf", Line: 2, Type: "local", Databases: []string{"all"}, Users: []string{"all"}, Method: "peer"}}}
	equalRows(t, AuditFindings(hardened, defaultPolicy(), nil), []string{
		"postgres/db | audit | OK | - | - | PostgreSQL 17.2",
		"postgres/db | ssl | OK | - | - | ssl = on",
		"postgres/db | ssl_min_protocol_version | OK | - | - | ssl_min_protocol_version = TLSv1.3 (policy: TLSv1.2)",
		"postgres/db | ssl_ciphers | OK | - | - | ssl_ciphers = HIGH:!aNULL enables 71 TLS 1.2 suites at security level 2, none weak",
		"postgres/db | password_encryption | OK | - | - | password_encryption = scram-sha-256",
		"postgres/db | pg_hba | OK | - | /d/pg_hba.conf | 2 rules, 1 for TCP: each needs TLS and an allowed method, or rejects",
	})
}

func TestAuditPgBouncer(t *testing.T) {
	set := func(pairs ...string) map[string]audit.Setting {
		m := map[string]audit.Setting{}
		for k, v := range audit.PgBouncerSettings {
			m[k] = audit.Setting{Value: v, Default: true}
		}
		for i := 0; i+1 < len(pairs); i += 2 {
			m[pairs[i]] = audit.Setting{Value: pairs[i+1], Where: fmt.Sprintf("/etc/pgbouncer.ini:%d", i/2+3)}
		}
		return m
	}
	weak := &audit.Facts{Subject: "/etc/pgbouncer.ini", Kind: audit.KindPgBouncerINI, Settings: set(
		"client_tls_sslmode", "prefer", "server_tls_sslmode", "require", "client_tls_protocols", "tlsv1.1,tlsv1.2",
		"client_tls_ciphers", "legacy", "auth_type", "md5")}
	equalRows(t, AuditFindings(weak, defaultPolicy(), nil), []string{
		"/etc/pgbouncer.ini | client_tls_sslmode | WARNING | pgbouncer_client_plaintext_allowed | /etc/pgbouncer.ini:3 | client_tls_sslmode = prefer: clients may connect without TLS",
		"/etc/pgbouncer.ini | server_tls_sslmode | WARNING | pgbouncer_server_unverified | /etc/pgbouncer.ini:4 | server_tls_sslmode = require: PostgreSQL's certificate is not verified as the policy asks (verify-full)",
		"/etc/pgbouncer.ini | client_tls_protocols | WARNING | pgbouncer_weak_protocols | /etc/pgbouncer.ini:5 | client_tls_protocols = tlsv1.1,tlsv1.2 allows TLSv1.1 (policy: TLSv1.2 or later)",
		"/etc/pgbouncer.ini | client_tls_ciphers | OK | - | /etc/pgbouncer.ini:6 | client_tls_ciphers = legacy enables 71 TLS 1.2 suites at security level 2, none weak",
		"/etc/pgbouncer.ini | server_tls_protocols | OK | - | - | server_tls_protocols = secure (not set: PgBouncer's default) allows TLSv1.2, TLSv1.3",
		"/etc/pgbouncer.ini | server_tls_ciphers | OK | - | - | server_tls_ciphers = default (not set: PgBouncer's default) enables 27 TLS 1.2 suites at security level 2, none weak",
		"/etc/pgbouncer.ini | auth_type | WARNING | pgbouncer_weak_auth | /etc/pgbouncer.ini:7 | auth_type = md5 is not allowed (audit.policy.auth_methods: scram-sha-256, cert, gss, sspi, ldap, radius, pam, bsd, ident, hba)",
	})

	// Nothing set: both sides' defaults, the server side (prefer) plaintext.
	equalRows(t, AuditFindings(&audit.Facts{Subject: "s", Kind: audit.KindPgBouncerINI, Settings: set("auth_type", "trust",
		"server_tls_protocols", "tlsv1.2,bogus")}, defaultPolicy(), nil), []string{
		"s | client_tls_sslmode | WARNING | pgbouncer_client_plaintext_allowed | - | client_tls_sslmode = disable (not set: PgBouncer's default): clients may connect without TLS",
		"s | server_tls_sslmode | WARNING | pgbouncer_server_unverified | - | server_tls_sslmode = prefer (not set: PgBouncer's default): connections to PostgreSQL may be plaintext (policy: verify-full)",
		"s | server_tls_protocols | UNKNOWN | audit_config_unparsable | /etc/pgbouncer.ini:4 | server_tls_protocols = tlsv1.2,bogus: PgBouncer refuses this value (it knows all, secure, default, tlsv1.0 to tlsv1.3, ! to leave one out)",
		"s | server_tls_ciphers | OK | - | - | server_tls_ciphers = default (not set: PgBouncer's default) enables 27 TLS 1.2 suites at security level 2, none weak",
		"s | auth_type | CRITICAL | pgbouncer_trust_auth | /etc/pgbouncer.ini:3 | auth_type = trust: clients log in without a password",
	})

	live := &audit.Facts{Subject: "pgbouncer/pgb", Kind: audit.KindPgBouncer, Version: "PgBouncer 1.18.0", Settings: map[string]audit.Setting{
		"client_tls_sslmode": {Value: "require"}, "server_tls_sslmode": {Value: "verify-ca"}, "client_tls_protocols": {Value: "secure"},
		"server_tls_protocols": {Value: "!tlsv1.0,!tlsv1.1"}, "client_tls_ciphers": {Value: "fast"},
		"server_tls_ciphers": {Value: "HIGH:!aNULL"}, "auth_type": {Value: "scram-sha-256"}}}
	pol := defaultPolicy()
	pol.ServerTLSSSLMode = "verify-ca"
	equalRows(t, AuditFindings(live, pol, nil), []string{
		"pgbouncer/pgb | audit | OK | - | - | PgBouncer 1.18.0",
		"pgbouncer/pgb | client_tls_sslmode | OK | - | - | client_tls_sslmode = require: clients must use TLS",
		"pgbouncer/pgb | server_tls_sslmode | OK | - | - | server_tls_sslmode = verify-ca (policy: verify-ca)",
		"pgbouncer/pgb | client_tls_protocols | OK | - | - | client_tls_protocols = secure allows TLSv1.2, TLSv1.3",
		"pgbouncer/pgb | client_tls_ciphers | OK | - | - | client_tls_ciphers = fast enables 47 TLS 1.2 suites at security level 2, none weak",
		"pgbouncer/pgb | server_tls_protocols | OK | - | - | server_tls_protocols = !tlsv1.0,!tlsv1.1 allows TLSv1.2, TLSv1.3",
		"pgbouncer/pgb | server_tls_ciphers | OK | - | - | server_tls_ciphers = HIGH:!aNULL enables 71 TLS 1.2 suites at security level 2, none weak",
		"pgbouncer/pgb | auth_type | OK | - | - | auth_type = scram-sha-256",
	})

	refused := &audit.Facts{Subject: "pgbouncer/pgb", Kind: audit.KindPgBouncer, MissingGrants: []string{"SHOW CONFIG was refused"}}
	equalRows(t, AuditFindings(refused, defaultPolicy(), nil), []string{"pgbouncer/pgb | grants | UNKNOWN | audit_grant_missing | - | SHOW CONFIG was refused"})
	broken := &audit.Facts{Subject: "x.ini", Kind: audit.KindPgBouncerINI, Unparsable: []audit.Problem{{Where: "/x.ini:4", Msg: "syntax error in configuration"}}}
	equalRows(t, AuditFindings(broken, defaultPolicy(), nil), []string{"x.ini | parse | UNKNOWN | audit_config_unparsable | /x.ini:4 | syntax error in configuration"})
}

// TestCipherFinding: a cipher setting is judged by the suites OpenSSL
// enables for it at its security level, not by the keywords it names.
func TestCipherFinding(t *testing.T) {
	for spec, want := range map[string]string{
		"HIGH:!aNULL":              "OK | ssl_ciphers = HIGH:!aNULL enables 71 TLS 1.2 suites at security level 2, none weak",
		"HIGH:MEDIUM:+3DES:!aNULL": "OK | ssl_ciphers = HIGH:MEDIUM:+3DES:!aNULL enables 71 TLS 1.2 suites at security level 2, none weak",
		"ALL":                      "OK | ssl_ciphers = ALL enables 71 TLS 1.2 suites at security level 2, none weak",
		"DEFAULT:@SECLEVEL=0":      "OK | ssl_ciphers = DEFAULT:@SECLEVEL=0 enables 27 TLS 1.2 suites at security level 0, none weak",
		"ALL:@SECLEVEL=0": "WARNING | weak_ciphers | ssl_ciphers = ALL:@SECLEVEL=0 enables 12 weak suites at security level 0 (audit.policy.weak_ciphers): " +
			"ADH-AES256-GCM-SHA384 (aNULL), ADH-AES128-GCM-SHA256 (aNULL), ADH-AES256-SHA256 (aNULL), ADH-CAMELLIA256-SHA256 (aNULL), ADH-AES128-SHA256 (aNULL) and 7 more",
		"NULL-MD5:NULL-SHA:@SECLEVEL=0": "WARNING | weak_ciphers | ssl_ciphers = NULL-MD5:NULL-SHA:@SECLEVEL=0 enables 2 weak suites at security level 0 (audit.policy.weak_ciphers): NULL-SHA (eNULL), NULL-MD5 (eNULL)",
		"NULL-MD5":                      "OK | ssl_ciphers = NULL-MD5 enables 0 TLS 1.2 suites at security level 2, none weak",
		"NOSUCH":                        "UNKNOWN | audit_config_unparsable | ssl_ciphers = NOSUCH: no cipher match: the string enables no suite, and OpenSSL refuses it",
		"ALL:@SECLEVEL=9":               "UNKNOWN | audit_config_unparsable | ssl_ciphers = ALL:@SECLEVEL=9: \"@SECLEVEL=9\": @SECLEVEL must be 0 to 5",
	} {
		f := cipherFinding("postgres/db", "ssl_ciphers", audit.Setting{Value: spec}, spec, defaultPolicy(), nil)
		got := f.Status.String()
		if f.Code != "" {
			got += " | " + string(f.Code)
		}
		if got += " | " + f.Detail; got != want {
			t.Errorf("%q:\n got %s\nwant %s", spec, got, want)
		}
	}
}

func TestPgBouncerProtocols(t *testing.T) {
	for spec, want := range map[string]string{
		"secure": "TLSv1.2 TLSv1.3", "default": "TLSv1.2 TLSv1.3", "all": "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3",
		"legacy": "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", "TLSv1.2:tlsv1.3": "TLSv1.2 TLSv1.3", "!tlsv1.0": "TLSv1.1 TLSv1.2 TLSv1.3",
		"tlsv1.2, tlsv1.3": "TLSv1.2 TLSv1.3", "tlsv1": "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", "tlsv1.2,": "refused",
		"tlsv1.2 ": "refused", "sslv3": "refused",
	} {
		versions, ok := pgbouncerProtocols(spec)
		got := strings.Join(versions, " ")
		if !ok {
			got = "refused"
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", spec, got, want)
		}
	}
}

// TestAcknowledge: an acknowledged audit problem stays as an OK row with
// its code and reason and is no longer a problem; a match names a setting
// or a location (a path suffix at a folder boundary); an acknowledgement
// that covers nothing is listed.
func TestAcknowledge(t *testing.T) {
	findings := []Finding{
		problem(SourceAudit, "postgres/db", CheckHBA, "/d/pg_hba.conf:12", HBAPlaintextAllowed, "line 12"),
		problem(SourceAudit, "postgres/db", CheckHBA, "/d/pg_hba.conf:112", HBAPlaintextAllowed, "line 112"),
		problem(SourceAudit, "postgres/db", "ssl_ciphers", "", WeakCiphers, "ciphers"),
		problem(SourceAudit, "postgres/other", "ssl_ciphers", "", WeakCiphers, "ciphers"),
		problem(SourceSessions, "postgres/db", CheckPlaintext, "", PlaintextSessions, "sessions"),
	}
	acks := []config.Acknowledgement{
		{Code: "hba_plaintext_allowed", Subject: "postgres/db", Match: "pg_hba.conf:12", Reason: "legacy subnet until 2027-03"},
		{Code: "weak_ciphers", Subject: "postgres/db", Match: "ssl_ciphers", Reason: "old clients"},
		{Code: "hba_trust_tcp", Subject: "postgres/db", Reason: "gone"},
	}
	used := Acknowledge(findings, acks)
	equalRows(t, findings, []string{
		"postgres/db | pg_hba | OK | hba_plaintext_allowed | /d/pg_hba.conf:12 | line 12 | ack: legacy subnet until 2027-03",
		"postgres/db | pg_hba | WARNING | hba_plaintext_allowed | /d/pg_hba.conf:112 | line 112",
		"postgres/db | ssl_ciphers | OK | weak_ciphers | - | ciphers | ack: old clients",
		"postgres/other | ssl_ciphers | WARNING | weak_ciphers | - | ciphers",
		"postgres/db | plaintext-sessions | WARNING | plaintext_sessions | - | sessions",
	})
	if findings[0].Problem() || !findings[1].Problem() {
		t.Error("an acknowledged finding is no problem; the other one is")
	}
	want := []Acknowledged{{Subject: "postgres/db", Code: HBAPlaintextAllowed, Match: "pg_hba.conf:12", Reason: "legacy subnet until 2027-03", Findings: 1},
		{Subject: "postgres/db", Code: WeakCiphers, Match: "ssl_ciphers", Reason: "old clients", Findings: 1}}
	if !slices.Equal(used, want) {
		t.Errorf("used %+v", used)
	}
	equalRows(t, UnusedAcknowledgements(acks, used), []string{
		"postgres/db | acknowledge | OK | - | - | the acknowledgement of hba_trust_tcp covers no current finding: remove it, or fix its subject or match",
	})
	if r := Summarize(findings); r.Status != Warning {
		t.Errorf("status %v", r.Status)
	}
}

// TestAcknowledgeableCodes: an acknowledgement names one of the audit's
// codes, as the table lists them; anything else is refused with the
// closest code.
func TestAcknowledgeableCodes(t *testing.T) {
	for yaml, want := range map[string]string{
		"audit: {acknowledge: [{code: hba_plaintext, subject: postgres/db, reason: r}]}\n": `audit.acknowledge[0].code: "hba_plaintext" is not a code of the audit; did you mean "hba_plaintext_allowed"?`,
		"audit: {acknowledge: [{code: expires_soon, subject: postgres/db, reason: r}]}\n":  `audit.acknowledge[0].code: "expires_soon" is not a code of the audit`,
		"audit: {acknowledge: [{code: weak_ciphers, subject: postgres/db, reason: r}]}\n":  "",
	} {
		cfg, err := config.Parse([]byte("targets: [{name: db, address: \"db:5432\"}]\n"+yaml), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if err := CheckConfig(cfg); err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: %q\nwant %q", yaml, got, want)
		}
	}
	if codes := AcknowledgeableCodes(); len(codes) != 17 || codes[0] != "audit_source_failed" {
		t.Errorf("audit codes %v", codes)
	}
}
