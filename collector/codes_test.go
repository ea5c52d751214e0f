package collector

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/audit"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/scans"
	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/targets"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
	"github.com/magflow/pgtls_exporter/internal/testpeer"
)

// notExported are the codes this in-process fault set cannot produce: a
// configuration that does not load is refused by serve (check reports
// it); a failed name lookup needs a resolver this test cannot rely on
// (rules.ProbeCode is tested for it directly); and a server key Go's TLS
// cannot negotiate needs a real PostgreSQL (the check package's
// TestClientsThatConnectAreNotCritical serves one).
var notExported = []rules.Code{rules.ConfigInvalid, rules.DialFailed, rules.UnsupportedKeyType}

// problems returns "source subject code severity" for every pgtls_problem
// series the collectors export, sorted.
func problems(t testing.TB, sources ...Source) []string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := reg.Register(NewExporter(quiet, sources...)); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		if mf.GetName() != "pgtls_problem" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			out = append(out, strings.Join([]string{l["source"], l["subject"], l["code"], l["severity"]}, " "))
		}
	}
	slices.Sort(out)
	return out
}

// TestEveryCodeReachesPrometheus exports a fault set that holds every code
// of the rules table (but notExported) and compares the exact
// pgtls_problem series: one per source, subject and code, each with the
// severity the table gives.
func TestEveryCodeReachesPrometheus(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var got []string

	// Certificate files.
	dir := t.TempDir()
	now := time.Now()
	ca := testcerts.CA(t, "Codes CA")
	other := testcerts.CA(t, "Other CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	entry := func(name string, parent *testcerts.Issued, opts testcerts.Options, keyMode os.FileMode) testcerts.EntryFiles {
		if opts.DNSNames == nil {
			opts.DNSNames = []string{"db"}
		}
		return testcerts.WriteEntry(t, dir, name, parent, opts, keyMode)
	}
	entry("good", ca, testcerts.Options{}, 0o600)
	entry("soon", ca, testcerts.Options{NotAfter: now.Add(20 * 24 * time.Hour)}, 0o600)
	entry("very_soon", ca, testcerts.Options{NotAfter: now.Add(3 * 24 * time.Hour)}, 0o600)
	entry("expired", ca, testcerts.Options{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}, 0o600)
	entry("future", ca, testcerts.Options{NotBefore: now.Add(time.Hour), NotAfter: now.AddDate(1, 0, 0)}, 0o600)
	entry("no_san", ca, testcerts.Options{DNSNames: []string{"other"}}, 0o600)
	entry("cn_only", ca, testcerts.Options{CommonName: "db", DNSNames: []string{}}, 0o600)
	ed448 := entry("ed448_key", ca, testcerts.Options{}, 0o600)
	if out, err := exec.Command("openssl", "genpkey", "-algorithm", "ed448", "-out", ed448.Key).CombinedOutput(); err != nil {
		testenv.SkipOrFatal(t, "openssl genpkey ed448: %v %s", err, out)
	}
	entry("foreign", other, testcerts.Options{}, 0o600)
	entry("client_only", ca, testcerts.Options{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, 0o600)
	stranger := entry("stranger_key", ca, testcerts.Options{}, 0o600)
	testcerts.WriteFile(t, stranger.Key, testcerts.Issue(t, ca, testcerts.Options{}).KeyPEM, 0o600)
	locked := entry("encrypted", ca, testcerts.Options{}, 0o600)
	testcerts.WriteFile(t, locked.Key, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), 0o600)
	entry("refused", ca, testcerts.Options{}, 0o644)
	entry("loose", ca, testcerts.Options{}, 0o644)
	entry("owner_unknown", ca, testcerts.Options{}, 0o600)
	gone := entry("missing", ca, testcerts.Options{}, 0o600)
	if err := os.Remove(gone.Cert); err != nil {
		t.Fatal(err)
	}
	folder := entry("folder", ca, testcerts.Options{}, 0o600)
	if err := os.Remove(folder.Cert); err != nil || os.Mkdir(folder.Cert, 0o755) != nil {
		t.Fatal("cannot put a folder in place of folder.crt")
	}
	broken := entry("truncated", ca, testcerts.Options{}, 0o600)
	testcerts.WriteFile(t, broken.Key, broken.Issued.KeyPEM[:60], 0o600)
	var yaml strings.Builder
	yaml.WriteString("ca: {cert: ca.crt}\ncertificates:\n")
	for _, name := range []string{"good", "soon", "very_soon", "expired", "future", "no_san", "cn_only", "ed448_key", "foreign", "client_only",
		"stranger_key", "encrypted", "refused", "loose", "owner_unknown", "missing", "folder", "truncated"} {
		owner := ""
		switch name {
		case "refused":
			owner = ", key_owner: postgres"
		case "owner_unknown":
			owner = ", key_owner: no-such-user-here"
		}
		fmt.Fprintf(&yaml, "  - {name: %s, cert: %s.crt, key: %s.key, expected_names: [db]%s}\n", name, name, name, owner)
	}
	cfg, err := config.Parse([]byte(yaml.String()), dir)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, problems(t, NewFiles(inspect.New(cfg, 1), rules.PolicyOf(cfg), quiet))...)

	// The same certificate under a CA file that does not parse.
	brokenCA := t.TempDir()
	testcerts.WriteFile(t, filepath.Join(brokenCA, "ca.crt"), []byte("not a certificate"), 0o644)
	testcerts.WriteEntry(t, brokenCA, "unverified", ca, testcerts.Options{DNSNames: []string{"db"}}, 0o600)
	caCfg, err := config.Parse([]byte("ca: {cert: ca.crt}\ncertificates: [{name: unverified, cert: unverified.crt, expected_names: [db]}]\n"), brokenCA)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, problems(t, NewFiles(inspect.New(caCfg, 1), rules.PolicyOf(caCfg), quiet))...)

	for _, s := range libpqFaults(t, ca, quiet) {
		got = append(got, problems(t, s)...)
	}

	// Live handshakes.
	got = append(got, problems(t, probeFaults(t, dir, ca, other, quiet))...)

	// TLS scans: a server that accepts TLS 1.0, 3DES and static RSA, and
	// one that is no PostgreSQL.
	got = append(got, problems(t, scanFaults(t))...)

	// Sessions.
	plain := &sessions.PostgresReport{Server: "db", Groups: []sessions.PostgresGroup{
		{Transport: sessions.TransportPlaintext, Count: 2},
		{Transport: sessions.TransportTLS, Version: "TLSv1.1", Count: 1}}}
	bouncer := func(name string) *sessions.PgBouncerReport {
		return &sessions.PgBouncerReport{Server: name, Groups: []sessions.PgBouncerGroup{
			{Side: sessions.SideServer, Transport: sessions.TransportPlaintext, Count: 1}}}
	}
	got = append(got, problems(t,
		NewPostgresSessions(&fakePostgres{name: "db", report: plain}, rules.DefaultPolicy()),
		NewPostgresSessions(&fakePostgres{name: "down", err: errors.New("connection refused")}, rules.DefaultPolicy()),
		NewPgBouncerSessions(&fakePgBouncer{name: "pgb", report: bouncer("pgb")}, false, rules.DefaultPolicy()),
		NewPgBouncerSessions(&fakePgBouncer{name: "pgb_strict", report: bouncer("pgb_strict")}, true, rules.DefaultPolicy()))...)

	// The audit: files judged offline, and servers' facts as the live
	// audit gathers them.
	got = append(got, problems(t, auditFaults(t, dir)...)...)

	// renew's state: an interrupted run that could not roll back an entry,
	// one that rolled back, one refused, and a state file that does not parse.
	stateDir := func(st *renewstate.State, journal bool) string {
		d := t.TempDir()
		if st != nil {
			if err := renewstate.Write(renewstate.Path(d), st); err != nil {
				t.Fatal(err)
			}
		} else {
			testcerts.WriteFile(t, renewstate.Path(d), []byte("{"), 0o600)
		}
		if journal {
			testcerts.WriteFile(t, filepath.Join(d, renewstate.JournalFile), []byte("{}"), 0o600)
		}
		return d
	}
	got = append(got, problems(t, NewRenew(stateDir(&renewstate.State{Version: 1, LastRun: now, ExitCode: 2,
		Entries: map[string]renewstate.Entry{"postgres": {Result: renewstate.ResultRollbackFailed}}}, true), quiet))...)
	got = append(got, problems(t, NewRenew(stateDir(&renewstate.State{Version: 1, LastRun: now, ExitCode: 1}, false), quiet))...)
	got = append(got, problems(t, NewRenew(stateDir(&renewstate.State{Version: 1, LastRun: now, ExitCode: 4,
		Outcome: renewstate.OutcomeRefused, Refused: "no usable CA"}, false), quiet))...)
	got = append(got, problems(t, NewRenew(stateDir(nil, false), quiet))...)

	// The CA rotation: one left prepared for 8 days (max_phase_age 7d),
	// and a state file that does not parse.
	rotation := func(data []byte) Source {
		d := t.TempDir()
		testcerts.WriteFile(t, renewstate.RotationPath(d), data, 0o644)
		return NewCARotation(d, 7*24*time.Hour, quiet)
	}
	stalled, err := renewstate.EncodeRotation(&renewstate.Rotation{Phase: renewstate.PhasePrepared, Since: now.Add(-8 * 24 * time.Hour),
		NewCA: renewstate.CAInfo{SHA256: "bb"}})
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, problems(t, rotation(stalled))...)
	got = append(got, problems(t, rotation([]byte("{")))...)

	want := []string{
		"files anchored_by_intermediate anchor_not_self_signed critical",
		"files ca anchor_not_self_signed critical",
		"files ca_first leaf_not_first critical",
		"files cert_sign_only leaf_key_usage_refused critical",
		"files ip_as_dns ip_as_dns_san warning",
		"files outside_constraint name_constraint_violation critical",
		"files sha1 weak_signature critical",
		"files weak_rsa weak_key critical",
		"scans not_postgres_scan scan_failed unknown",
		"scans weak_tls no_forward_secrecy_accepted warning",
		"scans weak_tls old_tls_accepted critical",
		"scans weak_tls weak_cipher_accepted critical",
		"files client_only chain_invalid critical",
		"files cn_only common_name_only warning",
		"files ed448_key key_unsupported unknown",
		"files encrypted key_encrypted warning",
		"files expired expired critical",
		"files folder file_unreadable critical",
		"files folder not_checked unknown",
		"files foreign unknown_authority critical",
		"files future not_yet_valid critical",
		"files loose key_mode_loose warning",
		"files missing file_missing critical",
		"files missing not_checked unknown",
		"files no_san san_missing critical",
		"files owner_unknown key_mode_unknown unknown",
		"files refused key_mode_refused critical",
		"files soon expires_soon warning",
		"files stranger_key key_mismatch critical",
		"files truncated file_invalid critical",
		"files truncated not_checked unknown",
		"files very_soon expires_very_soon critical",
		"files ca file_invalid critical",
		"files ca not_checked unknown",
		"files unverified ca_unusable unknown",
		"probes alpn alpn_not_negotiated critical",
		"probes bad_client_cert client_cert_rejected critical",
		"probes closed connection_refused critical",
		"probes closes connection_closed critical",
		"probes drift drift_unknown unknown",
		"probes garbage handshake_failed critical",
		"probes misconfigured probe_misconfigured unknown",
		"probes needs_client_cert client_cert_required critical",
		"probes not_postgres not_postgres critical",
		"probes silent timeout critical",
		"probes stale stale_certificate warning",
		"probes tls_off ssl_refused critical",
		"probes wrong_ca unknown_authority critical",
		"probes wrong_name name_mismatch critical",
		"sessions pg_stat_ssl/db old_tls_version critical",
		"sessions pg_stat_ssl/db plaintext_sessions warning",
		"sessions pg_stat_ssl/down session_source_failed unknown",
		"sessions pgbouncer/pgb plaintext_server_connections warning",
		"sessions pgbouncer/pgb_strict server_tls_expected critical",
		"renew renew renew_interrupted critical",
		"renew renew renew_refused warning",
		"renew renew renew_not_rolled_back critical",
		"renew renew renew_rollback_failed critical",
		"renew renew renew_rolled_back warning",
		"renew renew renew_state_unreadable unknown",
		"audit weak_hba.conf hba_plaintext_allowed warning",
		"audit weak_hba.conf hba_trust_tcp critical",
		"audit weak_hba.conf hba_weak_auth warning",
		"audit weak_hba.conf hba_rule_error critical",
		"audit weak.ini pgbouncer_client_plaintext_allowed warning",
		"audit weak.ini pgbouncer_server_unverified warning",
		"audit weak.ini pgbouncer_weak_protocols warning",
		"audit weak.ini weak_ciphers warning",
		"audit weak.ini pgbouncer_weak_auth warning",
		"audit weak.ini served_file_unwatched warning",
		"audit trust.ini pgbouncer_trust_auth critical",
		"audit broken.ini audit_config_unparsable unknown",
		"audit postgres/off pg_ssl_off critical",
		"audit postgres/weak tls_min_version_weak warning",
		"audit postgres/weak weak_ciphers warning",
		"audit postgres/weak password_encryption_weak warning",
		"audit postgres/nogrant audit_grant_missing unknown",
		"audit postgres/down audit_source_failed unknown",
		"ca_rotation ca ca_rotation_stalled warning",
		"ca_rotation ca ca_rotation_state_unreadable unknown",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pgtls_problem series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	seen := map[rules.Code]bool{}
	for _, line := range got {
		f := strings.Fields(line)
		code := rules.Code(f[2])
		seen[code] = true
		if sev := rules.SeverityOf(code).Label(); f[3] != sev {
			t.Errorf("%s: exported severity %s, the table says %s", line, f[3], sev)
		}
	}
	for _, r := range rules.Table() {
		if !seen[r.Code] && !slices.Contains(notExported, r.Code) {
			t.Errorf("no fault in the set exports %s", r.Code)
		}
	}
}

// probeFaults is a probe source over one target per way a probe fails.
func probeFaults(t *testing.T, dir string, ca, other *testcerts.Issued, quiet *slog.Logger) Source {
	t.Helper()
	leaf := func(parent *testcerts.Issued, opts testcerts.Options) *tls.Config {
		if opts.DNSNames == nil {
			opts.DNSNames = []string{"db"}
		}
		return serverTLS(testcerts.Issue(t, parent, opts))
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(ca.Cert)
	requireCert := leaf(ca, testcerts.Options{})
	requireCert.ClientAuth, requireCert.ClientCAs = tls.RequireAndVerifyClientCert, clientCAs
	direct := func(cfg *tls.Config) func(net.Conn) {
		return func(c net.Conn) {
			ts := tls.Server(c, cfg)
			if ts.Handshake() == nil {
				testpeer.Drain(ts)
			}
		}
	}
	served := testcerts.Issue(t, ca, testcerts.Options{DNSNames: []string{"db"}})
	testcerts.WriteEntry(t, dir, "stale", ca, testcerts.Options{DNSNames: []string{"db"}}, 0o600)
	stranger := testcerts.Issue(t, other, testcerts.Options{CommonName: "monitor", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	testcerts.WriteFile(t, filepath.Join(dir, "stranger-client.crt"), stranger.CertPEM, 0o644)
	testcerts.WriteFile(t, filepath.Join(dir, "stranger-client.key"), stranger.KeyPEM, 0o600)
	peer := func(h func(net.Conn)) string { return testpeer.Start(t, h).Addr }
	servesServed := peer(testpeer.TLSAfterS(serverTLS(served)))
	targetsYAML := []string{
		fmt.Sprintf(`{name: closed, address: "127.0.0.1:%d"}`, testenv.PortT(t)),
		fmt.Sprintf(`{name: silent, address: %q, timeout: 300ms}`, peer(testpeer.Silent)),
		fmt.Sprintf(`{name: not_postgres, address: %q}`, peer(testpeer.Answer([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false))),
		fmt.Sprintf(`{name: tls_off, address: %q}`, peer(testpeer.Answer([]byte("N"), true))),
		fmt.Sprintf(`{name: closes, address: %q}`, peer(testpeer.Answer([]byte("S"), false))),
		fmt.Sprintf(`{name: garbage, address: %q}`, peer(testpeer.Answer([]byte("SHTTP/1.1 400 Bad Request\r\n\r\n"), true))),
		fmt.Sprintf(`{name: wrong_ca, address: %q}`, peer(testpeer.TLSAfterS(leaf(other, testcerts.Options{})))),
		fmt.Sprintf(`{name: wrong_name, address: %q}`, peer(testpeer.TLSAfterS(leaf(ca, testcerts.Options{DNSNames: []string{"replica"}})))),
		fmt.Sprintf(`{name: needs_client_cert, address: %q}`, peer(testpeer.TLSAfterS(requireCert))),
		fmt.Sprintf(`{name: bad_client_cert, address: %q, client_cert: stranger-client.crt, client_key: stranger-client.key}`,
			peer(testpeer.TLSAfterS(requireCert))),
		fmt.Sprintf(`{name: misconfigured, address: %q, client_cert: none.crt, client_key: none.key}`, servesServed),
		fmt.Sprintf(`{name: alpn, address: %q, negotiation: direct}`, peer(direct(leaf(ca, testcerts.Options{})))),
		fmt.Sprintf(`{name: stale, address: %q, certificate: stale}`, servesServed),
		fmt.Sprintf(`{name: drift, address: %q, certificate: missing}`, servesServed),
		fmt.Sprintf(`{name: healthy, address: %q}`, servesServed),
	}
	yaml := "ca: {cert: ca.crt}\ncertificates:\n  - {name: stale, cert: stale.crt, expected_names: [db]}\n" +
		"  - {name: missing, cert: missing.crt, expected_names: [db]}\ntargets:\n"
	for _, tg := range targetsYAML {
		yaml += "  - " + strings.Replace(tg, "}", ", server_name: db}", 1) + "\n"
	}
	cfg, err := config.Parse([]byte(yaml), dir)
	if err != nil {
		t.Fatal(err)
	}
	return NewProbes(targets.New(cfg), inspect.New(cfg, 1), rules.PolicyOf(cfg), quiet)
}

// fakeAudit is an audit target that returns fixed facts.
type fakeAudit struct{ facts audit.Facts }

func (f *fakeAudit) Subject() string                      { return f.facts.Subject }
func (f *fakeAudit) Kind() audit.Kind                     { return f.facts.Kind }
func (f *fakeAudit) Collect(context.Context) *audit.Facts { c := f.facts; return &c }

// auditFaults are audit sources over one fault per audit code: offline
// pg_hba.conf and pgbouncer.ini files, and PostgreSQL facts.
func auditFaults(t *testing.T, dir string) []Source {
	t.Helper()
	testcerts.WriteFile(t, filepath.Join(dir, "weak_hba.conf"), []byte("host all all 10.0.0.0/8 md5\nhost all all all trust\nhostx all all all md5\n"), 0o644)
	testcerts.WriteFile(t, filepath.Join(dir, "weak.ini"), []byte("[pgbouncer]\nclient_tls_sslmode = prefer\nserver_tls_sslmode = require\n"+
		"client_tls_protocols = all\nclient_tls_ciphers = ALL:@SECLEVEL=0\nauth_type = plain\nclient_tls_cert_file = "+filepath.Join(dir, "good.crt")+"\n"), 0o644)
	testcerts.WriteFile(t, filepath.Join(dir, "trust.ini"), []byte("[pgbouncer]\nclient_tls_sslmode = require\nserver_tls_sslmode = verify-full\nauth_type = trust\n"), 0o644)
	testcerts.WriteFile(t, filepath.Join(dir, "broken.ini"), []byte("[pgbouncer]\nclient_tls_sslmode require\n"), 0o644)
	cfg, err := config.Parse([]byte("audit: {files: {pg_hba: [weak_hba.conf], pgbouncer_ini: [weak.ini, trust.ini, broken.ini]}}\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	pol := rules.PolicyOf(cfg)
	pg := func(subject string, f audit.Facts) audit.Target {
		f.Subject, f.Kind = "postgres/"+subject, audit.KindPostgres
		return &fakeAudit{facts: f}
	}
	on := map[string]audit.Setting{"ssl": {Value: "on"}, "ssl_min_protocol_version": {Value: "TLSv1.2"},
		"ssl_ciphers": {Value: "HIGH:!aNULL"}, "password_encryption": {Value: "scram-sha-256"}}
	return []Source{
		NewAudit("audit/files", audit.Targets(cfg, nil, nil), pol, nil, nil),
		NewAudit("audit/postgres", []audit.Target{
			pg("off", audit.Facts{Settings: map[string]audit.Setting{"ssl": {Value: "off"}, "password_encryption": {Value: "scram-sha-256"}}}),
			pg("weak", audit.Facts{Settings: map[string]audit.Setting{"ssl": {Value: "on"}, "ssl_min_protocol_version": {Value: "TLSv1.1"},
				"ssl_ciphers": {Value: "ALL:@SECLEVEL=0"}, "password_encryption": {Value: "md5"}}}),
			pg("nogrant", audit.Facts{Settings: on, MissingGrants: []string{"role monitor may not read pg_hba_file_rules"}}),
			pg("down", audit.Facts{Err: errors.New("connection refused")}),
		}, pol, nil, nil),
	}
}

// libpqFaults are certificate files that crypto/x509 accepts and libpq
// refuses (or, for an IP address held as a DNS SAN, accepts where Go's
// clients refuse): one entry each under ca, and two CA files of their own.
func libpqFaults(t *testing.T, ca *testcerts.Issued, quiet *slog.Logger) []Source {
	dir := t.TempDir()
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	write := func(name string, is *testcerts.Issued, certPEM []byte) {
		testcerts.WriteFile(t, filepath.Join(dir, name+".crt"), certPEM, 0o644)
		testcerts.WriteFile(t, filepath.Join(dir, name+".key"), is.KeyPEM, 0o600)
	}
	shaped := func(name string, parent *testcerts.Issued, key crypto.Signer, shape testcerts.Shape) {
		is := testcerts.IssueShaped(t, parent, name, key, func(c *x509.Certificate) {
			c.DNSNames = []string{"db"}
			shape(c)
		})
		write(name, is, is.CertPEM)
	}
	shaped("cert_sign_only", ca, nil, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCertSign })
	shaped("weak_rsa", ca, testcerts.WeakRSAKey(t), func(*x509.Certificate) {})
	shaped("sha1", ca, nil, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.ECDSAWithSHA1 })
	shaped("ip_as_dns", ca, nil, func(c *x509.Certificate) { c.DNSNames = []string{"10.0.0.5"} })
	caFirst := testcerts.IssueShaped(t, ca, "ca_first", nil, func(c *x509.Certificate) { c.DNSNames = []string{"db"} })
	write("ca_first", caFirst, append(append([]byte{}, ca.CertPEM...), caFirst.CertPEM...))
	cfg, err := config.Parse([]byte("ca: {cert: ca.crt}\ncertificates:\n"+
		"  - {name: cert_sign_only, cert: cert_sign_only.crt, key: cert_sign_only.key, expected_names: [db]}\n"+
		"  - {name: weak_rsa, cert: weak_rsa.crt, key: weak_rsa.key, expected_names: [db]}\n"+
		"  - {name: sha1, cert: sha1.crt, key: sha1.key, expected_names: [db]}\n"+
		"  - {name: ip_as_dns, cert: ip_as_dns.crt, key: ip_as_dns.key, expected_names: [10.0.0.5]}\n"+
		"  - {name: ca_first, cert: ca_first.crt, key: ca_first.key, expected_names: [db]}\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	sources := []Source{NewFiles(inspect.New(cfg, 1), rules.PolicyOf(cfg), quiet)}

	// A CA file holding an intermediate, and one whose CA constrains names.
	inter := testcerts.IssueShaped(t, ca, "Intermediate", nil, func(c *x509.Certificate) {
		c.IsCA, c.KeyUsage, c.ExtKeyUsage = true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign, nil
	})
	constrained := testcerts.IssueShaped(t, nil, "Constrained CA", nil, func(c *x509.Certificate) {
		c.IsCA, c.KeyUsage, c.ExtKeyUsage = true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign, nil
		c.PermittedDNSDomains = []string{"example.com"}
	})
	for name, anchor := range map[string]*testcerts.Issued{"anchored_by_intermediate": inter, "outside_constraint": constrained} {
		sub := t.TempDir()
		testcerts.WriteFile(t, filepath.Join(sub, "ca.crt"), anchor.CertPEM, 0o644)
		leaf := testcerts.IssueShaped(t, anchor, name, nil, func(c *x509.Certificate) { c.DNSNames = []string{"db"} })
		testcerts.WriteFile(t, filepath.Join(sub, name+".crt"), leaf.CertPEM, 0o644)
		cfg, err := config.Parse([]byte(fmt.Sprintf("ca: {cert: ca.crt}\ncertificates: [{name: %s, cert: %s.crt, expected_names: [db]}]\n", name, name)), sub)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, NewFiles(inspect.New(cfg, 1), rules.PolicyOf(cfg), quiet))
	}
	return sources
}

// scanReports is a scans source over reports scanned once, without a schedule.
type scanReports struct{ reports []scans.Report }

func (s scanReports) Name() string { return "scans" }
func (s scanReports) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	for _, m := range ScanMetrics(s.reports, rules.DefaultPolicy()) {
		ch <- m
	}
	return nil
}

// scanFaults scans a Go server that accepts TLS 1.0 with 3DES and static
// RSA suites, and a peer that answers SSLRequest as no PostgreSQL does.
func scanFaults(t *testing.T) Source {
	t.Helper()
	rsaCA := testcerts.CA(t, "Scan CA")
	weak := serverTLS(testcerts.Issue(t, rsaCA, testcerts.Options{DNSNames: []string{"db"}, KeyType: testcerts.RSA2048}))
	weak.MinVersion = tls.VersionTLS10
	weak.CipherSuites = []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
	weakAddr := testpeer.Start(t, testpeer.TLSAfterS(weak)).Addr
	garbage := testpeer.Start(t, testpeer.Answer([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false)).Addr
	cfg, err := config.Parse([]byte(fmt.Sprintf("targets:\n  - {name: weak_tls, address: %q, server_name: db}\n  - {name: not_postgres_scan, address: %q, timeout: 2s}\n",
		weakAddr, garbage)), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return scanReports{reports: scans.New(cfg).ScanAll(ctx)}
}
