package renew

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/server"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// TestStackRenewServesNewCertificates: certificates about to expire are
// renewed, both servers serve the new serials with verify-full, clients
// still get through PgBouncer, and openssl agrees on chain and SANs.
func TestStackRenewServesNewCertificates(t *testing.T) {
	sf := newStackFixture(t, time.Now().Add(5*24*time.Hour))
	old := sf.requireServedMatchesFiles(t)

	start := time.Now()
	code, out := sf.run(t, Options{})
	took := time.Since(start)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	t.Logf("renew of both services (ECDSA P-256), start to verified: %s", took.Round(time.Millisecond))
	now := sf.requireServedMatchesFiles(t)
	for name := range old {
		if now[name] == old[name] {
			t.Fatalf("entry %s still has serial %s", name, old[name])
		}
	}
	s := sf.s
	query(t, s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full"))
	query(t, s.PostgresDSN(testenv.UserApp, "verify-full"))

	st := readState(t, sf.config(t))
	for name, serial := range now {
		if e := st.Entries[name]; e.Result != renewstate.ResultRenewed || e.Serial != serial {
			t.Errorf("state of %s: %+v", name, e)
		}
	}
	opensslAgrees(t, sf, now)
	requireScrape(t, sf, `pgtls_renew_last_exit_code 0`,
		`pgtls_renew_entry_last_result{name="postgres",result="renewed"} 1`,
		`pgtls_renew_entry_last_result{name="pgbouncer",result="renewed"} 1`)

	// Running again renews nothing.
	code, out = sf.run(t, Options{})
	if code != ExitOK || !strings.Contains(out, "Nothing to do.") {
		t.Fatalf("second run: %d\n%s", code, out)
	}
	if again := sf.requireServedMatchesFiles(t); again["postgres"] != now["postgres"] || again["pgbouncer"] != now["pgbouncer"] {
		t.Fatalf("second run changed serials: %v -> %v", now, again)
	}
}

// opensslAgrees checks the files and the served certificates with openssl,
// independently of Go's crypto/x509.
func opensslAgrees(t *testing.T, sf *stackFixture, serials map[string]string) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		testenv.SkipOrFatal(t, "openssl not installed")
	}
	ca := sf.path("certs/ca/ca.crt")
	sans := map[string]string{
		"postgres":  "DNS:postgres, DNS:db, DNS:localhost, IP Address:127.0.0.1",
		"pgbouncer": "DNS:pgbouncer, DNS:localhost, IP Address:127.0.0.1",
	}
	addr := map[string]string{"postgres": sf.s.PostgresAddr(), "pgbouncer": sf.s.PgBouncerAddr()}
	host := map[string]string{"postgres": "db", "pgbouncer": "pgbouncer"}
	for name, serial := range serials {
		crt := sf.path("certs/" + name + ".crt")
		if out, err := exec.Command("openssl", "verify", "-CAfile", ca, "-purpose", "sslserver", crt).CombinedOutput(); err != nil ||
			strings.TrimSpace(string(out)) != crt+": OK" {
			t.Fatalf("openssl verify %s: %v\n%s", name, err, out)
		}
		text, err := exec.Command("openssl", "x509", "-in", crt, "-noout", "-text").CombinedOutput()
		if err != nil {
			t.Fatalf("openssl x509 -text: %v\n%s", err, text)
		}
		for _, want := range []string{sans[name], "TLS Web Server Authentication", "CA:FALSE"} {
			if !strings.Contains(string(text), want) {
				t.Errorf("%s: openssl x509 -text lacks %q\n%s", name, want, text)
			}
		}
		out, err := exec.Command("openssl", "x509", "-in", crt, "-noout", "-serial").CombinedOutput()
		if err != nil || strings.TrimSpace(strings.ToLower(string(out))) != "serial="+serial {
			t.Errorf("%s: openssl serial %q, want %s (%v)", name, out, serial, err)
		}
		// What the server serves, as openssl sees it with verify-full.
		sc := exec.Command("openssl", "s_client", "-starttls", "postgres", "-connect", addr[name], "-CAfile", ca,
			"-verify_hostname", host[name], "-verify_return_error")
		sc.Stdin = strings.NewReader("")
		served, err := sc.CombinedOutput()
		if err != nil || !strings.Contains(string(served), "Verify return code: 0 (ok)") {
			t.Fatalf("openssl s_client %s: %v\n%s", name, err, served)
		}
		x := exec.Command("openssl", "x509", "-noout", "-serial")
		x.Stdin = strings.NewReader(string(served))
		out, err = x.CombinedOutput()
		if err != nil || strings.TrimSpace(strings.ToLower(string(out))) != "serial="+serial {
			t.Errorf("%s serves serial %q per openssl, want %s (%v)", name, out, serial, err)
		}
	}
}

// requireScrape scrapes the exporter built on the fixture's config and
// checks the served certificates match the files, the renew state is
// exported, and promtool accepts the exposition.
func requireScrape(t *testing.T, sf *stackFixture, wants ...string) {
	t.Helper()
	srv, err := server.New(server.Options{ConfigFile: sf.cfgPath, Logger: slog.New(slog.DiscardHandler),
		DefaultScrapeTimeout: 10 * time.Second, TimeoutOffset: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	wants = append(wants,
		`pgtls_probe_cert_matches_file{name="postgres",target="postgres"} 1`,
		`pgtls_probe_cert_matches_file{name="pgbouncer",target="pgbouncer"} 1`,
		`pgtls_probe_verify_success{target="postgres"} 1`,
		`pgtls_scrape_collector_success{collector="renew"} 1`,
		`pgtls_renew_transaction_pending 0`,
	)
	for _, want := range wants {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		testenv.SkipOrFatal(t, "promtool not installed (Debian package prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
