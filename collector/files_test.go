package collector

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

var fileMetricNames = []string{
	"pgtls_cert_not_after_timestamp_seconds", "pgtls_cert_not_before_timestamp_seconds", "pgtls_cert_info",
	"pgtls_cert_san_match", "pgtls_cert_verify_success", "pgtls_key_matches_cert", "pgtls_key_file_mode",
	"pgtls_key_permissions_ok", "pgtls_file_read_success",
}

// TestFilesExposition compares the exact exposition of a healthy entry, an
// entry with deliberate faults (expiring soon, missing SAN, 0644 key, combined
// PEM of another certificate) and a broken one (missing certificate,
// truncated key).
func TestFilesExposition(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().Truncate(time.Second)
	ca := testcerts.Issue(t, nil, testcerts.Options{CommonName: "MagFlow CA", IsCA: true, Serial: 1,
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0)})
	testcerts.WriteFile(t, filepath.Join(dir, "ca", "ca.crt"), ca.CertPEM, 0o644)
	good := testcerts.WriteEntry(t, dir, "pgbouncer", ca, testcerts.Options{Serial: 0x10,
		DNSNames: []string{"pgbouncer", "localhost"}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)}, 0o600)
	faulty := testcerts.WriteEntry(t, dir, "postgres", ca, testcerts.Options{Serial: 0x11,
		DNSNames: []string{"postgres"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(72 * time.Hour)}, 0o644)
	stranger := testcerts.Issue(t, ca, testcerts.Options{CommonName: "stranger", Serial: 0x12})
	testcerts.WriteFile(t, faulty.Combined, stranger.Combined(), 0o600)
	broken := testcerts.WriteEntry(t, dir, "replica", ca, testcerts.Options{Serial: 0x13}, 0o600)
	os.Remove(broken.Cert)
	testcerts.WriteFile(t, broken.Key, broken.Issued.KeyPEM[:60], 0o600)

	cfg, err := config.Parse([]byte(`
ca: {cert: ca/ca.crt}
certificates:
  - {name: pgbouncer, cert: pgbouncer.crt, key: pgbouncer.key, combined: pgbouncer-combined.pem, expected_names: [pgbouncer, 127.0.0.1]}
  - {name: postgres, cert: postgres.crt, key: postgres.key, expected_names: [postgres, db], combined: postgres-combined.pem}
  - {name: replica, cert: replica.crt, key: replica.key}
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	files := NewFiles(inspect.New(cfg, 1), rules.PolicyOf(cfg), slog.New(slog.NewTextHandler(io.Discard, nil)))
	exporter := NewExporter(slog.New(slog.NewTextHandler(io.Discard, nil)), files)

	info := func(name, path string, c *testcerts.Issued) string {
		return fmt.Sprintf(`pgtls_cert_info{fingerprint_sha256=%q,is_ca="%t",issuer="CN=MagFlow CA",name=%q,path=%q,serial=%q,subject="CN=%s"} 1`,
			certs.Fingerprint(c.Cert), c.Cert.IsCA, name, path, certs.Serial(c.Cert), c.Cert.Subject.CommonName)
	}
	ts := func(t time.Time) string { return fmt.Sprintf("%d", t.Unix()) }
	want := strings.NewReplacer(
		"CA_INFO", info("ca", "ca/ca.crt", ca),
		"GOOD_INFO", info("pgbouncer", "pgbouncer.crt", good.Issued),
		"GOOD_COMBINED_INFO", info("pgbouncer", "pgbouncer-combined.pem", good.Issued),
		"FAULTY_INFO", info("postgres", "postgres.crt", faulty.Issued),
		"STRANGER_INFO", info("postgres", "postgres-combined.pem", stranger),
		"NB", ts(now.Add(-time.Hour)), "CA_NA", ts(now.AddDate(10, 0, 0)),
		"GOOD_NA", ts(now.AddDate(1, 0, 0)), "FAULTY_NA", ts(now.Add(72*time.Hour)),
		"STRANGER_NB", ts(stranger.Cert.NotBefore), "STRANGER_NA", ts(stranger.Cert.NotAfter),
	).Replace(`# HELP pgtls_cert_info Identity of a certificate in a configured file.
# TYPE pgtls_cert_info gauge
CA_INFO
GOOD_INFO
GOOD_COMBINED_INFO
FAULTY_INFO
STRANGER_INFO
# HELP pgtls_cert_not_after_timestamp_seconds Expiry time of a certificate in a configured file.
# TYPE pgtls_cert_not_after_timestamp_seconds gauge
pgtls_cert_not_after_timestamp_seconds{name="ca",path="ca/ca.crt",serial="01"} CA_NA
pgtls_cert_not_after_timestamp_seconds{name="pgbouncer",path="pgbouncer-combined.pem",serial="10"} GOOD_NA
pgtls_cert_not_after_timestamp_seconds{name="pgbouncer",path="pgbouncer.crt",serial="10"} GOOD_NA
pgtls_cert_not_after_timestamp_seconds{name="postgres",path="postgres-combined.pem",serial="12"} STRANGER_NA
pgtls_cert_not_after_timestamp_seconds{name="postgres",path="postgres.crt",serial="11"} FAULTY_NA
# HELP pgtls_cert_not_before_timestamp_seconds Start of validity of a certificate in a configured file.
# TYPE pgtls_cert_not_before_timestamp_seconds gauge
pgtls_cert_not_before_timestamp_seconds{name="ca",path="ca/ca.crt",serial="01"} NB
pgtls_cert_not_before_timestamp_seconds{name="pgbouncer",path="pgbouncer-combined.pem",serial="10"} NB
pgtls_cert_not_before_timestamp_seconds{name="pgbouncer",path="pgbouncer.crt",serial="10"} NB
pgtls_cert_not_before_timestamp_seconds{name="postgres",path="postgres-combined.pem",serial="12"} STRANGER_NB
pgtls_cert_not_before_timestamp_seconds{name="postgres",path="postgres.crt",serial="11"} NB
# HELP pgtls_cert_san_match Whether the certificate covers an expected DNS name or IP address.
# TYPE pgtls_cert_san_match gauge
pgtls_cert_san_match{expected="127.0.0.1",name="pgbouncer",path="pgbouncer.crt"} 0
pgtls_cert_san_match{expected="db",name="postgres",path="postgres.crt"} 0
pgtls_cert_san_match{expected="pgbouncer",name="pgbouncer",path="pgbouncer.crt"} 1
pgtls_cert_san_match{expected="postgres",name="postgres",path="postgres.crt"} 1
# HELP pgtls_cert_verify_success Whether the certificate chains to the configured CA now.
# TYPE pgtls_cert_verify_success gauge
pgtls_cert_verify_success{name="ca",path="ca/ca.crt"} 1
pgtls_cert_verify_success{name="pgbouncer",path="pgbouncer.crt"} 1
pgtls_cert_verify_success{name="postgres",path="postgres.crt"} 1
# HELP pgtls_file_read_success Whether a configured file was read and parsed.
# TYPE pgtls_file_read_success gauge
pgtls_file_read_success{name="ca",path="ca/ca.crt"} 1
pgtls_file_read_success{name="pgbouncer",path="pgbouncer-combined.pem"} 1
pgtls_file_read_success{name="pgbouncer",path="pgbouncer.crt"} 1
pgtls_file_read_success{name="pgbouncer",path="pgbouncer.key"} 1
pgtls_file_read_success{name="postgres",path="postgres-combined.pem"} 1
pgtls_file_read_success{name="postgres",path="postgres.crt"} 1
pgtls_file_read_success{name="postgres",path="postgres.key"} 1
pgtls_file_read_success{name="replica",path="replica.crt"} 0
pgtls_file_read_success{name="replica",path="replica.key"} 0
# HELP pgtls_key_file_mode Permission bits of a key-bearing file (384 = 0600).
# TYPE pgtls_key_file_mode gauge
pgtls_key_file_mode{name="pgbouncer",path="pgbouncer-combined.pem"} 384
pgtls_key_file_mode{name="pgbouncer",path="pgbouncer.key"} 384
pgtls_key_file_mode{name="postgres",path="postgres-combined.pem"} 384
pgtls_key_file_mode{name="postgres",path="postgres.key"} 420
pgtls_key_file_mode{name="replica",path="replica.key"} 384
# HELP pgtls_key_matches_cert Whether a key file or combined PEM belongs to the entry's certificate.
# TYPE pgtls_key_matches_cert gauge
pgtls_key_matches_cert{name="pgbouncer",path="pgbouncer-combined.pem"} 1
pgtls_key_matches_cert{name="pgbouncer",path="pgbouncer.key"} 1
pgtls_key_matches_cert{name="postgres",path="postgres-combined.pem"} 0
pgtls_key_matches_cert{name="postgres",path="postgres.key"} 1
pgtls_key_matches_cert{name="replica",path="replica.key"} 0
# HELP pgtls_key_permissions_ok Whether PostgreSQL would accept and be able to read this key file.
# TYPE pgtls_key_permissions_ok gauge
pgtls_key_permissions_ok{name="pgbouncer",path="pgbouncer-combined.pem"} 1
pgtls_key_permissions_ok{name="pgbouncer",path="pgbouncer.key"} 1
pgtls_key_permissions_ok{name="postgres",path="postgres-combined.pem"} 1
pgtls_key_permissions_ok{name="postgres",path="postgres.key"} 0
pgtls_key_permissions_ok{name="replica",path="replica.key"} 1
# HELP pgtls_problem A current problem (absent when healthy); code and severity come from the rules table.
# TYPE pgtls_problem gauge
pgtls_problem{code="expires_very_soon",severity="critical",source="files",subject="postgres"} 1
pgtls_problem{code="file_invalid",severity="critical",source="files",subject="replica"} 1
pgtls_problem{code="file_missing",severity="critical",source="files",subject="replica"} 1
pgtls_problem{code="key_mismatch",severity="critical",source="files",subject="postgres"} 1
pgtls_problem{code="key_mode_loose",severity="warning",source="files",subject="postgres"} 1
pgtls_problem{code="not_checked",severity="unknown",source="files",subject="replica"} 1
pgtls_problem{code="san_missing",severity="critical",source="files",subject="pgbouncer"} 1
pgtls_problem{code="san_missing",severity="critical",source="files",subject="postgres"} 1
# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="files"} 1
`)
	names := append(append([]string{}, fileMetricNames...), "pgtls_problem", "pgtls_scrape_collector_success")
	if err := testutil.CollectAndCompare(exporter, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	// A second scrape over unchanged files gives the same series.
	if err := testutil.CollectAndCompare(exporter, strings.NewReader(want), names...); err != nil {
		t.Fatalf("second scrape: %v", err)
	}
}

// TestCommonNameOnlyExposition: a certificate that names the server only in
// its common name has no SAN match, and says so in its own series.
func TestCommonNameOnlyExposition(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.CA(t, "CN CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	testcerts.WriteEntry(t, dir, "db", ca, testcerts.Options{CommonName: "db"}, 0o600)
	cfg, err := config.Parse([]byte("ca: {cert: ca.crt}\ncertificates:\n  - {name: db, cert: db.crt, expected_names: [db, other]}\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	exporter := NewExporter(quiet, NewFiles(inspect.New(cfg, 1), rules.PolicyOf(cfg), quiet))
	want := `# HELP pgtls_cert_common_name_match Whether no SAN but the subject common name covers an expected name (libpq accepts it, SAN-only clients such as Go's refuse it).
# TYPE pgtls_cert_common_name_match gauge
pgtls_cert_common_name_match{expected="db",name="db",path="db.crt"} 1
pgtls_cert_common_name_match{expected="other",name="db",path="db.crt"} 0
# HELP pgtls_cert_san_match Whether the certificate covers an expected DNS name or IP address.
# TYPE pgtls_cert_san_match gauge
pgtls_cert_san_match{expected="db",name="db",path="db.crt"} 0
pgtls_cert_san_match{expected="other",name="db",path="db.crt"} 0
# HELP pgtls_problem A current problem (absent when healthy); code and severity come from the rules table.
# TYPE pgtls_problem gauge
pgtls_problem{code="common_name_only",severity="warning",source="files",subject="db"} 1
pgtls_problem{code="san_missing",severity="critical",source="files",subject="db"} 1
`
	if err := testutil.CollectAndCompare(exporter, strings.NewReader(want), "pgtls_cert_common_name_match", "pgtls_cert_san_match", "pgtls_problem"); err != nil {
		t.Fatal(err)
	}
}
