package collector

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sources"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// TestAuditMetrics exports the audit of a pg_hba.conf and a pgbouncer.ini:
// an acknowledged rule is pgtls_audit_acknowledged_info and no
// pgtls_problem, while the same code on another line still is; the judged
// settings and the TLS files (watched or not) are info series.
func TestAuditMetrics(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.CA(t, "Audit CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	testcerts.WriteFile(t, filepath.Join(dir, "pg_hba.conf"), []byte("local all all peer\n"+
		"hostnossl all all 10.0.0.0/8 scram-sha-256\n"+
		"hostnossl all all 192.168.0.0/16 scram-sha-256\n"), 0o644)
	testcerts.WriteFile(t, filepath.Join(dir, "pgbouncer.ini"), []byte(fmt.Sprintf("[pgbouncer]\n"+
		"client_tls_sslmode = require\nserver_tls_sslmode = verify-full\nauth_type = scram-sha-256\n"+
		"client_tls_cert_file = %[1]s/other.crt\nclient_tls_key_file = /nowhere/pgbouncer.key\nclient_tls_ca_file = %[1]s/ca.crt\n", dir)), 0o644)
	testcerts.WriteFile(t, filepath.Join(dir, "other.crt"), ca.CertPEM, 0o644)
	cfg, err := config.Parse([]byte(`
ca: {cert: ca.crt}
audit:
  files: {pg_hba: [pg_hba.conf], pgbouncer_ini: [pgbouncer.ini]}
  acknowledge:
    - {code: hba_plaintext_allowed, subject: pg_hba.conf, match: "pg_hba.conf:2", reason: "legacy subnet, until 2027-03"}
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	audits := auditSources(cfg)
	if len(audits) != 1 || audits[0].Name() != "audit/files" {
		t.Fatalf("audit sources %v", audits)
	}
	e := NewExporter(slog.New(slog.NewTextHandler(io.Discard, nil)), audits...)
	want := fmt.Sprintf(`# HELP pgtls_audit_acknowledged_info An acknowledged audit finding: it stays visible here and in check, and is not exported as pgtls_problem.
# TYPE pgtls_audit_acknowledged_info gauge
pgtls_audit_acknowledged_info{code="hba_plaintext_allowed",match="pg_hba.conf:2",reason="legacy subnet, until 2027-03",subject="pg_hba.conf"} 1
# HELP pgtls_audit_setting_info A TLS or authentication setting of an audited server or file, as the audit judged it.
# TYPE pgtls_audit_setting_info gauge
pgtls_audit_setting_info{setting="auth_type",subject="pgbouncer.ini",value="scram-sha-256"} 1
pgtls_audit_setting_info{setting="client_tls_ciphers",subject="pgbouncer.ini",value="default"} 1
pgtls_audit_setting_info{setting="client_tls_protocols",subject="pgbouncer.ini",value="secure"} 1
pgtls_audit_setting_info{setting="client_tls_sslmode",subject="pgbouncer.ini",value="require"} 1
pgtls_audit_setting_info{setting="server_tls_ciphers",subject="pgbouncer.ini",value="default"} 1
pgtls_audit_setting_info{setting="server_tls_protocols",subject="pgbouncer.ini",value="secure"} 1
pgtls_audit_setting_info{setting="server_tls_sslmode",subject="pgbouncer.ini",value="verify-full"} 1
# HELP pgtls_audit_tls_file_info A certificate, key, CA or CRL file a server reads, as the server names it; entry is the configured entry it is (empty: none).
# TYPE pgtls_audit_tls_file_info gauge
pgtls_audit_tls_file_info{entry="",path="%[1]s/other.crt",setting="client_tls_cert_file",subject="pgbouncer.ini",visible="true"} 1
pgtls_audit_tls_file_info{entry="",path="/nowhere/pgbouncer.key",setting="client_tls_key_file",subject="pgbouncer.ini",visible="false"} 1
pgtls_audit_tls_file_info{entry="ca",path="%[1]s/ca.crt",setting="client_tls_ca_file",subject="pgbouncer.ini",visible="true"} 1
# HELP pgtls_problem A current problem (absent when healthy); code and severity come from the rules table.
# TYPE pgtls_problem gauge
pgtls_problem{code="hba_plaintext_allowed",severity="warning",source="audit",subject="pg_hba.conf"} 1
pgtls_problem{code="served_file_unwatched",severity="warning",source="audit",subject="pgbouncer.ini"} 1
# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="audit/files"} 1
`, dir)
	if err := testutil.CollectAndCompare(e, strings.NewReader(want), "pgtls_audit_acknowledged_info", "pgtls_audit_setting_info",
		"pgtls_audit_tls_file_info", "pgtls_problem", "pgtls_scrape_collector_success"); err != nil {
		t.Fatal(err)
	}

	// Both plaintext rules acknowledged: the code is no longer a problem.
	cfg.Audit.Acknowledge = append(cfg.Audit.Acknowledge, config.Acknowledgement{Code: "hba_plaintext_allowed", Subject: "pg_hba.conf",
		Match: "pg_hba.conf:3", Reason: "lab"})
	if got := problems(t, auditSources(cfg)...); strings.Join(got, "\n") != "audit pgbouncer.ini served_file_unwatched warning" {
		t.Fatalf("problems with both rules acknowledged: %v", got)
	}
}

// auditSources are the audit sources FromSources builds for cfg.
func auditSources(cfg *config.Config) []Source {
	var out []Source
	all, _ := FromSources(sources.New(cfg, sources.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, s := range all {
		if strings.HasPrefix(s.Name(), "audit/") {
			out = append(out, s)
		}
	}
	return out
}
