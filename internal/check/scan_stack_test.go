package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// opensslTLS1 reports whether `openssl s_client -tls1 -starttls postgres`
// completes a TLS 1.0 handshake with addr (offering every suite, at
// security level 0, so that only the server can refuse).
func opensslTLS1(t *testing.T, addr string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", addr, "-starttls", "postgres", "-tls1", "-brief",
		"-cipher", "ALL:@SECLEVEL=0")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	return err == nil && strings.Contains(string(out), "CONNECTION ESTABLISHED")
}

// TestScanAndAuditOnStacks runs check on real PostgreSQL and PgBouncer
// stacks, both scanned and audited live: stock and hardened settings give
// no scan or audit problem; TLSv1 allowed but refused by the servers'
// OpenSSL (security level 2) is a warning that says so; TLSv1 allowed at
// security level 0 is old_tls_accepted for both, as openssl s_client
// confirms, and the settings' warnings say the servers accept it; there
// PgBouncer's ALL:@SECLEVEL=0 really accepts anonymous suites.
func TestScanAndAuditOnStacks(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		testenv.SkipOrFatal(t, "openssl: %v", err)
	}
	for _, tc := range []struct {
		name    string
		pg, pgb []string
		tls1    bool
		// problems are the scan and audit problems, "entry | check | code | detail".
		problems []string
	}{
		{"default", []string{"ssl_ciphers = 'HIGH:MEDIUM:+3DES:!aNULL'"}, nil, false, nil},
		{"hardened", nil, []string{"client_tls_protocols = secure", "client_tls_ciphers = HIGH:!aNULL"}, false, nil},
		{"allowed but refused", []string{"ssl_min_protocol_version = 'TLSv1'"}, []string{"client_tls_protocols = all"}, false, []string{
			"postgres/db | ssl_min_protocol_version | tls_min_version_weak | ssl_min_protocol_version = TLSv1 allows TLSv1, TLSv1.1, older than TLSv1.2 (audit.policy.min_tls_version), but the server's OpenSSL refuses them (TLS scan of postgres)",
			"pgbouncer/pgb | client_tls_protocols | pgbouncer_weak_protocols | client_tls_protocols = all allows TLSv1, TLSv1.1 (policy: TLSv1.2 or later), but the server's OpenSSL refuses them (TLS scan of pgbouncer)",
		}},
		{"weak", []string{"ssl_min_protocol_version = 'TLSv1'", "ssl_ciphers = 'DEFAULT:@SECLEVEL=0'"},
			[]string{"client_tls_protocols = all", "client_tls_ciphers = ALL:@SECLEVEL=0"}, true, []string{
				"postgres | scan | old_tls_accepted | completed a hello for TLSv1, TLSv1.1, older than TLSv1.2",
				"pgbouncer | scan | old_tls_accepted | completed a hello for TLSv1, TLSv1.1, older than TLSv1.2",
				"pgbouncer | scan | weak_cipher_accepted | accepts 12 weak suites: TLS_ECDH_anon_WITH_AES_256_CBC_SHA (aNULL; TLSv1, TLSv1.1, TLSv1.2), " +
					"TLS_DH_anon_WITH_AES_256_CBC_SHA (aNULL; TLSv1, TLSv1.1, TLSv1.2), TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA (aNULL; TLSv1, TLSv1.1, TLSv1.2), " +
					"TLS_ECDH_anon_WITH_AES_128_CBC_SHA (aNULL; TLSv1, TLSv1.1, TLSv1.2), TLS_DH_anon_WITH_AES_128_CBC_SHA (aNULL; TLSv1, TLSv1.1, TLSv1.2) and 7 more",
				"postgres/db | ssl_min_protocol_version | tls_min_version_weak | ssl_min_protocol_version = TLSv1 allows TLSv1, TLSv1.1, older than TLSv1.2 (audit.policy.min_tls_version), and the server completes TLSv1, TLSv1.1 handshakes (TLS scan of postgres: old_tls_accepted)",
				"pgbouncer/pgb | client_tls_protocols | pgbouncer_weak_protocols | client_tls_protocols = all allows TLSv1, TLSv1.1 (policy: TLSv1.2 or later), and the server completes TLSv1, TLSv1.1 handshakes (TLS scan of pgbouncer: old_tls_accepted)",
				"pgbouncer/pgb | client_tls_ciphers | weak_ciphers | client_tls_ciphers = ALL:@SECLEVEL=0 enables 12 weak suites at security level 0 (audit.policy.weak_ciphers): ADH-AES256-GCM-SHA384 (aNULL), ADH-AES128-GCM-SHA256 (aNULL), ADH-AES256-SHA256 (aNULL), ADH-CAMELLIA256-SHA256 (aNULL), ADH-AES128-SHA256 (aNULL) and 7 more; the server accepts 12 (TLS scan of pgbouncer: weak_cipher_accepted)",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testenv.StartT(t, testenv.Options{WithPgBouncer: true, AuditGrants: true, PostgresConf: tc.pg, PgBouncerConf: tc.pgb})
			targets := fmt.Sprintf(`targets:
  - {name: postgres, address: %q, server_name: localhost, certificate: postgres}
  - {name: pgbouncer, address: %q, server_name: localhost, certificate: pgbouncer}
`, s.PostgresAddr(), s.PgBouncerAddr())
			cfg := auditConfig(t, s, s.PostgresDSN(testenv.UserMonitor, "verify-full"), []string{"postgres", "pgbouncer"}, targets)
			var text, js bytes.Buffer
			Run(context.Background(), &text, Options{ConfigFile: cfg})
			Run(context.Background(), &js, Options{ConfigFile: cfg, Output: "json"})
			var res rules.Result
			if err := json.Unmarshal(js.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			var problems []string
			scanned := 0
			for _, f := range res.Findings {
				if f.Source == rules.SourceScans && f.Status == rules.OK {
					scanned++
				}
				if (f.Source == rules.SourceScans || f.Source == rules.SourceAudit) && f.Status != rules.OK {
					problems = append(problems, strings.Join([]string{f.Entry, f.Check, string(f.Code), f.Detail}, " | "))
				}
			}
			if scanned != 2 {
				t.Errorf("%d targets scanned, want 2:\n%s", scanned, text.String())
			}
			equalLines(t, "scan and audit problems", problems, tc.problems)
			for _, addr := range []string{s.PostgresAddr(), s.PgBouncerAddr()} {
				if got := opensslTLS1(t, addr); got != tc.tls1 {
					t.Errorf("openssl s_client -tls1 -starttls postgres %s: connected %v, want %v", addr, got, tc.tls1)
				}
			}
			if len(res.Scans) != 2 {
				t.Fatalf("scan table %+v, want postgres and pgbouncer", res.Scans)
			}
			if res.Scans[1].Target != "pgbouncer" ||
				!slices.ContainsFunc(res.Scans[1].Versions, func(v rules.ScanVersion) bool { return v.Version == "TLSv1.3" && v.Suites == 3 }) {
				t.Errorf("no TLSv1.3 with 3 suites for pgbouncer in the scan table: %+v", res.Scans)
			}
			// PostgreSQL's ssl_ecdh_curve (prime256v1) bounds TLS 1.3's groups too,
			// and with ssl_ca_file set it asks for a client certificate.
			if pg := res.Scans[0]; pg.Target != "postgres" || !slices.Equal(pg.Groups, []string{"secp256r1"}) || pg.ClientCert != "requested" {
				t.Errorf("postgres: groups %v, client certificate %q; want [secp256r1], requested", pg.Groups, pg.ClientCert)
			}
			t.Logf("check on the %s stack:\n%s", tc.name, text.String())
		})
	}
}
