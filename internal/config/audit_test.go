package config

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestAuditConfig(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Parse([]byte(`
sessions:
  postgres: [{name: db, dsn: host=db}]
audit:
  live: true
  files:
    pg_hba: [replica/pg_hba.conf]
    pgbouncer_ini: [/etc/pgbouncer/pgbouncer.ini]
  path_map:
    - {from: /var/lib/postgresql/data/, to: pgdata}
  policy:
    min_tls_version: TLSv1.3
    pgbouncer_server_tls_sslmode: verify-ca
    weak_ciphers: [aNULL, RC4]
    auth_methods: [scram-sha-256, cert]
  acknowledge:
    - {code: hba_plaintext_allowed, subject: postgres/db, match: "pg_hba.conf:12", reason: legacy subnet until 2027-03}
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Audit
	if !a.Enabled() || !a.Live || a.Files.PgHBA[0] != "replica/pg_hba.conf" {
		t.Fatalf("audit: %+v", a)
	}
	if got := cfg.ResolvedPathMap(); !slices.Equal(got, []PathMapping{{From: "/var/lib/postgresql/data", To: filepath.Join(dir, "pgdata")}}) {
		t.Errorf("path map %+v", got)
	}
	p := a.Policy
	if p.MinTLSVersionOrDefault() != "TLSv1.3" || p.ServerTLSSSLModeOrDefault() != "verify-ca" ||
		!slices.Equal(p.WeakCiphersOrDefault(), []string{"aNULL", "RC4"}) || !slices.Equal(p.AuthMethodsOrDefault(), []string{"scram-sha-256", "cert"}) {
		t.Errorf("policy %+v", p)
	}
	if want := (Acknowledgement{Code: "hba_plaintext_allowed", Subject: "postgres/db", Match: "pg_hba.conf:12", Reason: "legacy subnet until 2027-03"}); a.Acknowledge[0] != want {
		t.Errorf("acknowledgement %+v", a.Acknowledge[0])
	}

	// The defaults, and an audit of files alone is a configuration.
	cfg, err = Parse([]byte("audit: {files: {pg_hba: [pg_hba.conf]}}\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	p = cfg.Audit.Policy
	if p.MinTLSVersionOrDefault() != "TLSv1.2" || p.ServerTLSSSLModeOrDefault() != "verify-full" ||
		!slices.Equal(p.WeakCiphersOrDefault(), DefaultWeakCiphers()) || !slices.Equal(p.AuthMethodsOrDefault(), DefaultAuthMethods()) {
		t.Errorf("default policy %+v", p)
	}
}

func TestInvalidAudit(t *testing.T) {
	head := "sessions:\n  postgres: [{name: db, dsn: host=db}]\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"live without sessions", "audit: {live: true}\n",
			"audit.live: no server under sessions to audit"},
		{"unknown key", head + "audit: {files: {pg_hbaconf: [x]}}\n", `audit.files: unknown key "pg_hbaconf" (line 3); did you mean "pg_hba"?`},
		{"empty file", head + "audit: {files: {pg_hba: ['']}}\n", "audit.files.pg_hba[0]: is empty"},
		{"same file twice", head + "audit: {files: {pgbouncer_ini: [a.ini, ./a.ini]}}\n", "audit.files.pgbouncer_ini[1]: ./a.ini is already audit.files.pgbouncer_ini[0]"},
		{"relative from", head + "audit: {path_map: [{from: data, to: x}]}\n", `audit.path_map[0].from: "data" must be an absolute path`},
		{"missing to", head + "audit: {path_map: [{from: /data}]}\n", "audit.path_map[0].to: is required"},
		{"min version", head + "audit: {policy: {min_tls_version: '1.2'}}\n", `audit.policy.min_tls_version: "1.2" is none of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3`},
		{"sslmode", head + "audit: {policy: {pgbouncer_server_tls_sslmode: prefer}}\n",
			`audit.policy.pgbouncer_server_tls_sslmode: "prefer" is none of require, verify-ca, verify-full`},
		{"null keyword", head + "audit: {policy: {weak_ciphers: [RC4, NULL]}}\n",
			`audit.policy.weak_ciphers[1]: is null (line 3); quote "NULL" if you mean the word`},
		{"unknown keyword", head + "audit: {policy: {weak_ciphers: [RC4, MEDUIM]}}\n",
			`audit.policy.weak_ciphers[1]: "MEDUIM" is no OpenSSL cipher keyword or suite name (e.g. 3DES, aNULL, MEDIUM): it would select nothing`},
		{"cipher string", head + "audit: {policy: {weak_ciphers: ['RC4:!aNULL']}}\n",
			`audit.policy.weak_ciphers[0]: "RC4:!aNULL" is not one OpenSSL cipher keyword (letters and digits, e.g. 3DES, aNULL)`},
		{"trust allowed", head + "audit: {policy: {auth_methods: [trust]}}\n",
			`audit.policy.auth_methods[0]: "trust" cannot be listed: trust and any always have their own finding, reject is never one`},
		{"unknown method", head + "audit: {policy: {auth_methods: [scram]}}\n",
			`audit.policy.auth_methods[0]: "scram" is not an authentication method of pg_hba.conf or PgBouncer (scram-sha-256, md5, password, plain, cert, gss, sspi, ldap, radius, pam, bsd, ident, peer, hba)`},
		{"ack without subject and reason", head + "audit: {acknowledge: [{code: weak_ciphers, reason: ' '}]}\n",
			"audit.acknowledge[0].subject: is required (postgres/NAME, pgbouncer/NAME or an audited file as configured)\n" +
				"audit.acknowledge[0].reason: is required: say why the finding is accepted, and until when"},
		{"ack twice", head + "audit: {acknowledge: [{code: weak_ciphers, subject: s, reason: a}, {code: weak_ciphers, subject: s, reason: b}]}\n",
			"audit.acknowledge[1]: acknowledges the same findings as audit.acknowledge[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), t.TempDir())
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestDSNLocal(t *testing.T) {
	for dsn, want := range map[DSN]bool{
		"host=/run/postgresql dbname=x":               true,
		"host=localhost user=monitor":                 true,
		"host=127.0.0.1 port=5432":                    true,
		"host=::1":                                    true,
		"postgres://monitor@127.0.0.2:5432/magflow":   true,
		"host=db port=5432":                           false,
		"postgres://monitor@10.0.0.5/magflow":         false,
		"host=db,127.0.0.1":                           false,
		"host='unterminated":                          false,
		"host=127.0.0.1 sslrootcert=/nonexistent.crt": true,
	} {
		if got := dsn.Local(); got != want {
			t.Errorf("%s: Local() = %v", dsn, got)
		}
	}
}
