package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// TestAuditHardenedStack audits the stack as testenv sets it up (TLS 1.2
// and later, strong ciphers, SCRAM, hostssl only, PgBouncer in require and
// verify-full) with every TLS file watched. A monitoring role without the
// pg_hba_file_rules grants gives one finding that names them, and the
// rest of check goes on; once granted, the audit finds nothing.
func TestAuditHardenedStack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true})
	cfg := auditConfig(t, s, s.PostgresDSN(testenv.UserMonitor, "verify-full"), []string{"postgres", "pgbouncer"}, "")

	code, text, got := runCheck(t, s, cfg)
	grant := `postgres/db | grants | UNKNOWN | audit_grant_missing | - | role "monitor" may not read pg_hba_file_rules ` +
		"(GRANT SELECT ON pg_hba_file_rules TO monitor; GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO monitor): pg_hba.conf is not audited"
	var problems []string
	for _, row := range got {
		if !strings.Contains(row, " | OK | ") {
			problems = append(problems, row)
		}
	}
	equalLines(t, "audit problems without the grants", problems, []string{grant})
	if code != int(rules.Unknown) || !strings.HasPrefix(text, "PGTLS UNKNOWN - 0 critical, 0 warning, 1 unknown, ") {
		t.Errorf("exit %d, want 3:\n%s", code, text)
	}
	for _, row := range [][6]string{
		{"pg_stat_ssl/db", "sessions", "OK", "-", "-", "ssl=on, ssl_min_protocol_version=TLSv1.2"},
		{"pgbouncer/pgb", "sessions", "OK", "-", "-", "PgBouncer 1.18.0"},
		{"postgres/db", "ssl_min_protocol_version", "OK", "-", s.Dir() + "/pgdata/postgresql.conf:" + confLine(t, s, "ssl_min_protocol_version"),
			"ssl_min_protocol_version = TLSv1.2 (policy: TLSv1.2)"},
	} {
		if !hasRow(text, row) {
			t.Errorf("without the grants, the report lacks %q:\n%s", row, text)
		}
	}

	if err := s.Exec(ctx, testenv.AuditGrants); err != nil {
		t.Fatal(err)
	}
	code, text, got = runCheck(t, s, cfg)
	c := s.Certs()
	hba := s.HBAFile()
	equalLines(t, "audit findings of the hardened stack", got, []string{
		"postgres/db | audit | OK | - | - | PostgreSQL " + pgVersion(t, s),
		"postgres/db | ssl | OK | - | STACK/pgdata/postgresql.conf:" + confLine(t, s, "ssl = ") + " | ssl = on",
		"postgres/db | ssl_min_protocol_version | OK | - | STACK/pgdata/postgresql.conf:" + confLine(t, s, "ssl_min_protocol_version") +
			" | ssl_min_protocol_version = TLSv1.2 (policy: TLSv1.2)",
		"postgres/db | ssl_ciphers | OK | - | STACK/pgdata/postgresql.conf:" + confLine(t, s, "ssl_ciphers") + " | ssl_ciphers = HIGH:!aNULL enables 71 TLS 1.2 suites at security level 2, none weak",
		"postgres/db | password_encryption | OK | - | STACK/pgdata/postgresql.conf:" + confLine(t, s, "password_encryption") + " | password_encryption = scram-sha-256",
		"postgres/db | pg_hba | OK | - | " + strings.ReplaceAll(hba, s.Dir(), "STACK") + " | 3 rules, 2 for TCP: each needs TLS and an allowed method, or rejects",
		watchedRow("postgres/db", "ssl_cert_file", c.PostgresCert, "cert", "postgres"),
		watchedRow("postgres/db", "ssl_key_file", c.PostgresKey, "key", "postgres"),
		watchedRow("postgres/db", "ssl_ca_file", c.CA, "ca", "ca"),
		"pgbouncer/pgb | audit | OK | - | - | PgBouncer 1.18.0",
		"pgbouncer/pgb | client_tls_sslmode | OK | - | - | client_tls_sslmode = require: clients must use TLS",
		"pgbouncer/pgb | server_tls_sslmode | OK | - | - | server_tls_sslmode = verify-full (policy: verify-full)",
		"pgbouncer/pgb | client_tls_protocols | OK | - | - | client_tls_protocols = secure allows TLSv1.2, TLSv1.3",
		"pgbouncer/pgb | client_tls_ciphers | OK | - | - | client_tls_ciphers = fast enables 47 TLS 1.2 suites at security level 2, none weak",
		"pgbouncer/pgb | server_tls_protocols | OK | - | - | server_tls_protocols = secure allows TLSv1.2, TLSv1.3",
		"pgbouncer/pgb | server_tls_ciphers | OK | - | - | server_tls_ciphers = fast enables 47 TLS 1.2 suites at security level 2, none weak",
		"pgbouncer/pgb | auth_type | OK | - | - | auth_type = scram-sha-256",
		watchedRow("pgbouncer/pgb", "client_tls_cert_file", c.PgBouncerCert, "cert", "pgbouncer"),
		watchedRow("pgbouncer/pgb", "client_tls_key_file", c.PgBouncerKey, "key", "pgbouncer"),
		watchedRow("pgbouncer/pgb", "client_tls_ca_file", c.CA, "ca", "ca"),
		watchedRow("pgbouncer/pgb", "server_tls_ca_file", c.CA, "ca", "ca"),
	})
	if code != 0 {
		t.Errorf("exit %d, want 0:\n%s", code, text)
	}
	t.Logf("check on the hardened stack:\n%s", text)
}

// TestAuditPostgres17: PostgreSQL 17's pg_hba_file_rules names the file
// of each rule, so a rule from an included file has that file's name and
// line.
func TestAuditPostgres17(t *testing.T) {
	t.Parallel()
	bin, err := testenv.EnsurePostgres17(context.Background(), "")
	if err != nil {
		testenv.SkipOrFatal(t, "PostgreSQL 17 unavailable: %v", err)
	}
	s := testenv.StartT(t, testenv.Options{PgBinDir: bin, AuditGrants: true,
		HBA: []string{"hostnossl all all 10.0.0.0/8 scram-sha-256", "include_if_exists hba.d/extra.conf"}})
	extra := filepath.Join(s.Dir(), "pgdata", "hba.d", "extra.conf")
	if err := os.Mkdir(filepath.Dir(extra), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(extra, []byte("# extra rules\n\nhost all all 172.16.0.0/12 md5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := auditConfig(t, s, s.PostgresDSN(testenv.UserMonitor, "verify-full"), []string{"postgres"}, "")
	_, _, got := runCheck(t, s, cfg)
	var problems []string
	for _, row := range got {
		if !strings.Contains(row, " | OK | ") {
			problems = append(problems, row)
		}
	}
	equalLines(t, "PostgreSQL 17 audit problems", problems, []string{
		"postgres/db | pg_hba | WARNING | hba_plaintext_allowed | STACK/pgdata/pg_hba.conf:3 | hostnossl all all 10.0.0.0 255.0.0.0 scram-sha-256: TCP connections from 10.0.0.0 255.0.0.0 get in without TLS",
		"postgres/db | pg_hba | WARNING | hba_weak_auth | STACK/pgdata/hba.d/extra.conf:3 | host all all 172.16.0.0 255.240.0.0 md5: method md5 is not allowed over TCP (audit.policy.auth_methods)",
		"postgres/db | pg_hba | WARNING | hba_plaintext_allowed | STACK/pgdata/hba.d/extra.conf:3 | host all all 172.16.0.0 255.240.0.0 md5: TCP connections from 172.16.0.0 255.240.0.0 get in without TLS",
	})
	if !strings.HasPrefix(got[0], "postgres/db | audit | OK | - | - | PostgreSQL 17.") {
		t.Errorf("first row %q", got[0])
	}
}

// confLine is the number of the last line of postgresql.conf that starts
// with prefix.
func confLine(t *testing.T, s *testenv.Stack, prefix string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Dir(), "pgdata", "postgresql.conf"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, prefix) {
			n = i + 1
		}
	}
	return fmt.Sprint(n)
}

func pgVersion(t *testing.T, s *testenv.Stack) string {
	t.Helper()
	v, err := s.PostgresVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}
