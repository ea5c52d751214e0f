package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// auditConfig writes a configuration that audits the stack's servers
// (PgBouncer only when it runs) live over their session sources, watching
// the given files of the stack's certificates ("postgres", "pgbouncer"),
// followed by extra YAML under audit.
func auditConfig(t *testing.T, s *testenv.Stack, pgDSN string, watch []string, audit string) string {
	t.Helper()
	dir := t.TempDir()
	for _, user := range []string{testenv.UserMonitor, testenv.UserStats} {
		testcerts.WriteFile(t, filepath.Join(dir, user+".pw"), []byte(s.Password(user)+"\n"), 0o600)
	}
	c := s.Certs()
	var certs strings.Builder
	for _, w := range watch {
		switch w {
		case "postgres":
			fmt.Fprintf(&certs, "  - {name: postgres, cert: %s, key: %s}\n", c.PostgresCert, c.PostgresKey)
		case "pgbouncer":
			fmt.Fprintf(&certs, "  - {name: pgbouncer, cert: %s, key: %s}\n", c.PgBouncerCert, c.PgBouncerKey)
		}
	}
	strip := func(dsn, user string) string { return strings.Replace(dsn, "password="+s.Password(user)+" ", "", 1) }
	pgb := ""
	if s.PgBouncerPort() != 0 {
		pgb = fmt.Sprintf("  pgbouncer: [{name: pgb, dsn: %q, password_file: stats.pw}]\n",
			strip(s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"), testenv.UserStats))
	}
	yaml := fmt.Sprintf(`ca: {cert: %s}
certificates:
%ssessions:
  postgres: [{name: db, dsn: %q, password_file: monitor.pw}]
%saudit:
  live: true
%s`, c.CA, certs.String(), strip(pgDSN, testenv.UserMonitor), pgb, audit)
	return testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), []byte(yaml), 0o600)
}

// runCheck runs check and returns its exit code, its text report and the
// audit findings from its JSON report as "entry | check | status | code |
// path | detail [| ack: reason]", with the stack's folder as STACK.
func runCheck(t *testing.T, s *testenv.Stack, cfg string) (int, string, []string) {
	t.Helper()
	var text, js bytes.Buffer
	code := Run(context.Background(), &text, Options{ConfigFile: cfg})
	Run(context.Background(), &js, Options{ConfigFile: cfg, Output: "json"})
	var res rules.Result
	if err := json.Unmarshal(js.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range res.Findings {
		if f.Source != rules.SourceAudit {
			continue
		}
		code := string(f.Code)
		if code == "" {
			code = "-"
		}
		row := strings.Join([]string{f.Entry, f.Check, f.Status.String(), code, orDash(f.Path), f.Detail}, " | ")
		if f.Acknowledged != "" {
			row += " | ack: " + f.Acknowledged
		}
		out = append(out, strings.ReplaceAll(row, s.Dir(), "STACK"))
	}
	return code, text.String(), out
}

// watchedRow is the audit's OK row for a TLS file the configuration
// watches: the field (cert, key, combined, ca) of entry.
func watchedRow(subject, setting, path, field, entry string) string {
	return fmt.Sprintf("%s | %s | OK | - | %s | %s is the %s file of %s", subject, setting, path, path, field, entry)
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAuditWeakStack audits a real PostgreSQL 15 and PgBouncer 1.18 set up
// with one weakness per rule, with exact findings and pg_hba.conf line
// numbers; an acknowledged rule stays visible as ACK without counting.
// Then PgBouncer's auth_type becomes trust and PostgreSQL's ssl off, and
// last PgBouncer stops.
func TestAuditWeakStack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true, AuditGrants: true,
		PostgresConf: []string{"ssl_min_protocol_version = 'TLSv1'", "ssl_ciphers = 'HIGH:MEDIUM:+3DES:!aNULL'"},
		HBA: []string{
			"host      all app 10.0.0.0/8     md5",      // line 3
			"hostnossl all all 192.168.0.0/16 password", // line 4
			"host      all all 172.16.0.0/12  trust",    // line 5
			"hostssl   all all 10.1.0.0/16    md5",      // line 6
		},
		PgBouncerClientTLSMode: "prefer", PgBouncerServerTLSMode: "require",
		PgBouncerConf: []string{"client_tls_protocols = tlsv1.1,tlsv1.2,tlsv1.3", "server_tls_ciphers = ALL:@SECLEVEL=0", "auth_type = md5"},
	})
	if err := s.Exec(ctx, "ALTER SYSTEM SET password_encryption = 'md5'"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	// A line PostgreSQL refuses: pg_hba_file_rules reads the file as it is now.
	f, err := os.OpenFile(s.HBAFile(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("hostssl all all 10.2.0.0/16 scram\n"); err != nil { // line 9
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL's socket: the audit still reads it when ssl is off.
	pgDSN := fmt.Sprintf("host=%s port=%d dbname=magflow user=monitor sslmode=disable", s.SocketDir(), s.PostgresPort())
	cfg := auditConfig(t, s, pgDSN, []string{"postgres"},
		`  acknowledge:
    - {code: hba_plaintext_allowed, subject: postgres/db, match: "pg_hba.conf:4", reason: legacy subnet until 2027-03}
`)
	code, text, got := runCheck(t, s, cfg)
	c := s.Certs()
	lineOf := func(prefix string) string { return "STACK/pgdata/postgresql.conf:" + confLine(t, s, prefix) }
	pgb := []string{
		"pgbouncer/pgb | audit | OK | - | - | PgBouncer 1.18.0",
		"pgbouncer/pgb | client_tls_sslmode | WARNING | pgbouncer_client_plaintext_allowed | - | client_tls_sslmode = prefer: clients may connect without TLS",
		"pgbouncer/pgb | server_tls_sslmode | WARNING | pgbouncer_server_unverified | - | server_tls_sslmode = require: PostgreSQL's certificate is not verified as the policy asks (verify-full)",
		"pgbouncer/pgb | client_tls_protocols | WARNING | pgbouncer_weak_protocols | - | client_tls_protocols = tlsv1.1,tlsv1.2,tlsv1.3 allows TLSv1.1 (policy: TLSv1.2 or later)",
		"pgbouncer/pgb | client_tls_ciphers | OK | - | - | client_tls_ciphers = fast enables 47 TLS 1.2 suites at security level 2, none weak",
		"pgbouncer/pgb | server_tls_protocols | OK | - | - | server_tls_protocols = secure allows TLSv1.2, TLSv1.3",
		"pgbouncer/pgb | server_tls_ciphers | WARNING | weak_ciphers | - | server_tls_ciphers = ALL:@SECLEVEL=0 enables 12 weak suites at security level 0 (audit.policy.weak_ciphers): " +
			"ADH-AES256-GCM-SHA384 (aNULL), ADH-AES128-GCM-SHA256 (aNULL), ADH-AES256-SHA256 (aNULL), ADH-CAMELLIA256-SHA256 (aNULL), ADH-AES128-SHA256 (aNULL) and 7 more",
		"pgbouncer/pgb | auth_type | WARNING | pgbouncer_weak_auth | - | auth_type = md5 is not allowed (audit.policy.auth_methods: scram-sha-256, cert, gss, sspi, ldap, radius, pam, bsd, ident, hba)",
		fmt.Sprintf("pgbouncer/pgb | client_tls_cert_file | WARNING | served_file_unwatched | %[1]s | %[1]s is no file of the configuration: its expiry and renewal go unseen", c.PgBouncerCert),
		fmt.Sprintf("pgbouncer/pgb | client_tls_key_file | WARNING | served_file_unwatched | %[1]s | %[1]s is no file of the configuration: its expiry and renewal go unseen", c.PgBouncerKey),
		watchedRow("pgbouncer/pgb", "client_tls_ca_file", c.CA, "ca", "ca"),
		watchedRow("pgbouncer/pgb", "server_tls_ca_file", c.CA, "ca", "ca"),
	}
	hba := "STACK/pgdata/pg_hba.conf"
	want := append([]string{
		"postgres/db | audit | OK | - | - | PostgreSQL " + pgVersion(t, s),
		"postgres/db | ssl | OK | - | " + lineOf("ssl = ") + " | ssl = on",
		"postgres/db | ssl_min_protocol_version | WARNING | tls_min_version_weak | " + lineOf("ssl_min_protocol_version") +
			" | ssl_min_protocol_version = TLSv1 allows TLSv1, TLSv1.1, older than TLSv1.2 (audit.policy.min_tls_version)",
		"postgres/db | ssl_ciphers | OK | - | " + lineOf("ssl_ciphers") +
			" | ssl_ciphers = HIGH:MEDIUM:+3DES:!aNULL enables 71 TLS 1.2 suites at security level 2, none weak",
		"postgres/db | password_encryption | WARNING | password_encryption_weak | STACK/pgdata/postgresql.auto.conf:3 | password_encryption = md5: new passwords are stored as MD5 hashes",
		"postgres/db | pg_hba | WARNING | hba_weak_auth | " + hba + ":3 | host all app 10.0.0.0 255.0.0.0 md5: method md5 is not allowed over TCP (audit.policy.auth_methods)",
		"postgres/db | pg_hba | WARNING | hba_plaintext_allowed | " + hba + ":3 | host all app 10.0.0.0 255.0.0.0 md5: TCP connections from 10.0.0.0 255.0.0.0 get in without TLS",
		"postgres/db | pg_hba | WARNING | hba_weak_auth | " + hba + ":4 | hostnossl all all 192.168.0.0 255.255.0.0 password: method password is not allowed over TCP (audit.policy.auth_methods)",
		"postgres/db | pg_hba | OK | hba_plaintext_allowed | " + hba + ":4 | hostnossl all all 192.168.0.0 255.255.0.0 password: TCP connections from 192.168.0.0 255.255.0.0 get in without TLS | ack: legacy subnet until 2027-03",
		"postgres/db | pg_hba | CRITICAL | hba_trust_tcp | " + hba + ":5 | host all all 172.16.0.0 255.240.0.0 trust: TCP connections log in without a password or certificate",
		"postgres/db | pg_hba | WARNING | hba_plaintext_allowed | " + hba + ":5 | host all all 172.16.0.0 255.240.0.0 trust: TCP connections from 172.16.0.0 255.240.0.0 get in without TLS",
		"postgres/db | pg_hba | WARNING | hba_weak_auth | " + hba + ":6 | hostssl all all 10.1.0.0 255.255.0.0 md5: method md5 is not allowed over TCP (audit.policy.auth_methods)",
		"postgres/db | pg_hba | CRITICAL | hba_rule_error | " + hba + `:9 | invalid authentication method "scram"`,
		watchedRow("postgres/db", "ssl_cert_file", c.PostgresCert, "cert", "postgres"),
		watchedRow("postgres/db", "ssl_key_file", c.PostgresKey, "key", "postgres"),
		watchedRow("postgres/db", "ssl_ca_file", c.CA, "ca", "ca"),
	}, pgb...)
	equalLines(t, "audit findings", got, want)
	if code != int(rules.Critical) {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(text, "PGTLS CRITICAL - 2 critical, 14 warning, 0 unknown, ") || !strings.Contains(text, " ok, 1 acknowledged") {
		t.Errorf("status line: %s", strings.SplitN(text, "\n", 2)[0])
	}
	if !hasRow(text, [6]string{"postgres/db", "pg_hba", "ACK", "hba_plaintext_allowed", s.HBAFile() + ":4",
		"get in without TLS [acknowledged: legacy subnet until 2027-03]"}) {
		t.Errorf("the acknowledged rule is not shown as ACK:\n%s", text)
	}
	t.Logf("check on the weak stack:\n%s", text)

	// auth_type = trust on PgBouncer, ssl = off on PostgreSQL.
	appendLine(t, s.PgBouncerConfigFile(), "auth_type = trust")
	if err := s.Exec(ctx, "ALTER SYSTEM SET ssl = off"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, got = runCheck(t, s, cfg)
	for _, row := range []string{
		"postgres/db | ssl | CRITICAL | pg_ssl_off | STACK/pgdata/postgresql.auto.conf:4 | ssl = off: every TCP connection is plaintext",
		"postgres/db | pg_hba | CRITICAL | hba_rule_error | " + hba + ":6 | hostssl all all 10.1.0.0 255.255.0.0 md5: hostssl record cannot match because SSL is disabled",
		"pgbouncer/pgb | auth_type | CRITICAL | pgbouncer_trust_auth | - | auth_type = trust: clients log in without a password",
	} {
		if !slices.Contains(got, row) {
			t.Errorf("after ssl = off and auth_type = trust, no row\n%s\nin\n%s", row, strings.Join(got, "\n"))
		}
	}

	// PgBouncer down: its audit fails alone, PostgreSQL's goes on.
	if err := s.StopPgBouncer(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, got = runCheck(t, s, cfg)
	var pgbRows []string
	for _, row := range got {
		if strings.HasPrefix(row, "pgbouncer/") {
			pgbRows = append(pgbRows, row)
		}
	}
	if len(pgbRows) != 1 || !strings.HasPrefix(pgbRows[0], `pgbouncer/pgb | audit | UNKNOWN | audit_source_failed | - | pgbouncer "pgb": connect: `) ||
		!slices.Contains(got, "postgres/db | ssl | CRITICAL | pg_ssl_off | STACK/pgdata/postgresql.auto.conf:4 | ssl = off: every TCP connection is plaintext") {
		t.Errorf("PgBouncer down:\n%s", strings.Join(got, "\n"))
	}
}

// appendLine appends a line to a file.
func appendLine(t *testing.T, path, line string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
