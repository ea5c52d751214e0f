package renew

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
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
