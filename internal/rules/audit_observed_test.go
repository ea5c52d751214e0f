package rules

import (
	"testing"

	"github.com/magflow/pgtls_exporter/internal/audit"
	"github.com/magflow/pgtls_exporter/internal/ciphers"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/scans"
	"github.com/magflow/pgtls_exporter/internal/tlsscan"
)

// TestAuditBesideScan: a weak setting stays a warning that says what the
// scan of the same server (the target serving its ssl_cert_file's entry)
// saw: refused, or accepted (then the scan's own finding is critical).
func TestAuditBesideScan(t *testing.T) {
	weak := func(kind audit.Kind, settings map[string]audit.Setting, certSetting string) *audit.Facts {
		return &audit.Facts{Subject: "s", Kind: kind, Settings: settings,
			Files: []audit.TLSFile{{Setting: certSetting, Path: "/d/server.crt", Visible: true, Entry: "db", Field: "cert"}}}
	}
	pg := weak(audit.KindPostgres, map[string]audit.Setting{"ssl": {Value: "on"}, "ssl_min_protocol_version": {Value: "TLSv1"},
		"ssl_ciphers": {Value: "ALL:@SECLEVEL=0"}, "password_encryption": {Value: "scram-sha-256"}}, "ssl_cert_file")
	pgb := weak(audit.KindPgBouncerINI, map[string]audit.Setting{"client_tls_sslmode": {Value: "require"}, "client_tls_protocols": {Value: "all"},
		"client_tls_ciphers": {Value: "fast"}, "server_tls_sslmode": {Value: "disable"}, "auth_type": {Value: "scram-sha-256"}}, "client_tls_cert_file")
	v := tlsscan.Versions()
	adh, _ := ciphers.ByID(0x0034)
	gcm, _ := ciphers.ByID(0xC02F)
	scan := func(target string, r *tlsscan.Result) []scans.Report {
		return []scans.Report{{Target: config.Target{Name: target, Certificate: "db"}, Result: r},
			{Target: config.Target{Name: "other", Certificate: "other"}, Result: &tlsscan.Result{}}}
	}
	refused := scan("pg", &tlsscan.Result{Versions: []tlsscan.VersionResult{{Version: v[1]}, {Version: v[2]},
		{Version: v[3], Accepted: true, Suites: []ciphers.Suite{gcm}}}})
	accepted := scan("pg", &tlsscan.Result{Versions: []tlsscan.VersionResult{{Version: v[1], Accepted: true, Suites: []ciphers.Suite{gcm}},
		{Version: v[3], Accepted: true, Suites: []ciphers.Suite{gcm, adh}}}})
	detail := func(f *audit.Facts, reports []scans.Report, setting string) string {
		for _, fnd := range AuditFindings(f, defaultPolicy(), reports) {
			if fnd.Check == setting {
				return fnd.Status.String() + " | " + fnd.Detail
			}
		}
		return "no finding for " + setting
	}
	for _, tc := range []struct {
		facts   *audit.Facts
		reports []scans.Report
		setting string
		want    string
	}{
		{pg, nil, "ssl_min_protocol_version", "WARNING | ssl_min_protocol_version = TLSv1 allows TLSv1, TLSv1.1, older than TLSv1.2 (audit.policy.min_tls_version)"},
		{pg, refused, "ssl_min_protocol_version", "WARNING | ssl_min_protocol_version = TLSv1 allows TLSv1, TLSv1.1, older than TLSv1.2 (audit.policy.min_tls_version), but the server's OpenSSL refuses them (TLS scan of pg)"},
		{pg, accepted, "ssl_min_protocol_version", "WARNING | ssl_min_protocol_version = TLSv1 allows TLSv1, TLSv1.1, older than TLSv1.2 (audit.policy.min_tls_version), and the server completes TLSv1 handshakes (TLS scan of pg: old_tls_accepted)"},
		{pg, refused, "ssl_ciphers", "WARNING | ssl_ciphers = ALL:@SECLEVEL=0 enables 12 weak suites at security level 0 (audit.policy.weak_ciphers): ADH-AES256-GCM-SHA384 (aNULL), ADH-AES128-GCM-SHA256 (aNULL), ADH-AES256-SHA256 (aNULL), ADH-CAMELLIA256-SHA256 (aNULL), ADH-AES128-SHA256 (aNULL) and 7 more; but the server accepts none of them (TLS scan of pg)"},
		{pg, accepted, "ssl_ciphers", "WARNING | ssl_ciphers = ALL:@SECLEVEL=0 enables 12 weak suites at security level 0 (audit.policy.weak_ciphers): ADH-AES256-GCM-SHA384 (aNULL), ADH-AES128-GCM-SHA256 (aNULL), ADH-AES256-SHA256 (aNULL), ADH-CAMELLIA256-SHA256 (aNULL), ADH-AES128-SHA256 (aNULL) and 7 more; the server accepts 1 (TLS scan of pg: weak_cipher_accepted)"},
		{pgb, refused, "client_tls_protocols", "WARNING | client_tls_protocols = all allows TLSv1, TLSv1.1 (policy: TLSv1.2 or later), but the server's OpenSSL refuses them (TLS scan of pg)"},
		{pgb, accepted, "client_tls_protocols", "WARNING | client_tls_protocols = all allows TLSv1, TLSv1.1 (policy: TLSv1.2 or later), and the server completes TLSv1 handshakes (TLS scan of pg: old_tls_accepted)"},
		{pgb, accepted, "client_tls_ciphers", "OK | client_tls_ciphers = fast enables 47 TLS 1.2 suites at security level 2, none weak"},
	} {
		if got := detail(tc.facts, tc.reports, tc.setting); got != tc.want {
			t.Errorf("%s with %d scans:\n got %s\nwant %s", tc.setting, len(tc.reports), got, tc.want)
		}
	}
}
