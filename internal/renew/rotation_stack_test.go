package renew

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// TestStackRotationThreeClients rotates the CA of a real PostgreSQL with
// PgBouncer in front (server_tls_sslmode = verify-full), one step per
// run. Three clients prove the order: one holding the bundle connects at
// every step; one holding only the old CA connects until switch and is
// refused after it; one holding only the new CA is refused before switch
// and connects after it. PgBouncer reaches PostgreSQL over a new TLS
// connection after every step.
func TestStackRotationThreeClients(t *testing.T) {
	sf := newRotationFixture(t)
	cfg := sf.config(t)
	oldCA := client{"the old CA", keep(t, sf.path("certs/ca/ca.crt"))}
	before := sf.requireHealthy(t)
	sf.requireClients(t, "before", []client{oldCA}, nil)

	out := sf.rotate(t, ExitOK, Options{})
	for _, want := range []string{"CA rotation plan: prepare", "phase    none -> prepared", "renew: ok: CA rotation prepared"} {
		if !strings.Contains(out, want) {
			t.Errorf("prepare output lacks %q:\n%s", want, out)
		}
	}
	st := sf.requirePhase(t, renewstate.PhasePrepared)
	bundle := client{"the bundle", keep(t, sf.path("certs/ca/ca-bundle.crt"))}
	newCA := client{"the new CA", keep(t, sf.path("certs/ca/ca-next.crt"))}
	if trusted, err := rotation.TrustedCerts(sf.path("certs/ca/ca.crt")); err != nil || len(trusted) != 2 ||
		certs.Fingerprint(trusted[0]) != st.OldCA.SHA256 || certs.Fingerprint(trusted[1]) != st.NewCA.SHA256 {
		t.Fatalf("ca.cert after prepare: %d certificates (%v), want the old CA then the new one", len(trusted), err)
	}
	if fi, err := os.Stat(sf.path("certs/ca/ca-next.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new CA key: %v %v", fi, err)
	}
	if served := sf.requireHealthy(t); served["postgres"] != before["postgres"] || served["pgbouncer"] != before["pgbouncer"] {
		t.Fatalf("prepare changed served certificates: %v -> %v", before, served)
	}
	sf.requireClients(t, "prepared", []client{bundle, oldCA}, []client{newCA})

	out = sf.rotate(t, ExitOK, Options{})
	if !strings.Contains(out, "renew: ok: CA rotation switched: pgbouncer, postgres reissued under the new CA") {
		t.Errorf("switch output:\n%s", out)
	}
	sf.requirePhase(t, renewstate.PhaseSwitched)
	switched := sf.requireHealthy(t)
	for name := range before {
		if switched[name] == before[name] {
			t.Errorf("entry %s not reissued at switch", name)
		}
	}
	sf.requireClients(t, "switched", []client{bundle, newCA}, []client{oldCA})

	out = sf.rotate(t, ExitRefused, Options{})
	if !strings.Contains(out, "finish it with renew --rotate-ca --finish") {
		t.Errorf("a rotation without --finish does not say how to finish:\n%s", out)
	}
	oldKey, err := os.ReadFile(sf.path("certs/ca/ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	nextKey, err := os.ReadFile(sf.path("certs/ca/ca-next.key"))
	if err != nil {
		t.Fatal(err)
	}
	sf.rotate(t, ExitOK, Options{Finish: true})
	st = sf.requirePhase(t, renewstate.PhaseFinished)
	if served := sf.requireHealthy(t); served["postgres"] != switched["postgres"] || served["pgbouncer"] != switched["pgbouncer"] {
		t.Fatalf("finish changed served certificates: %v -> %v", switched, served)
	}
	sf.requireClients(t, "finished", []client{bundle, newCA}, []client{oldCA})
	for _, f := range []string{"certs/ca/ca.crt", "certs/ca/ca-bundle.crt"} {
		if data, _ := os.ReadFile(sf.path(f)); !bytes.Equal(data, mustRead(t, newCA.rootCert)) {
			t.Errorf("%s does not hold the new CA alone after finish", f)
		}
	}
	if key, _ := os.ReadFile(sf.path("certs/ca/ca.key")); !bytes.Equal(key, nextKey) {
		t.Error("ca.key is not the new CA's key after finish")
	}
	if retired, err := os.ReadFile(st.RetiredKey); err != nil || !bytes.Equal(retired, oldKey) {
		t.Errorf("the old CA key is not kept at %s: %v", st.RetiredKey, err)
	}
	for _, gone := range []string{"certs/ca/ca-next.crt", "certs/ca/ca-next.key"} {
		if _, err := os.Lstat(sf.path(gone)); err == nil {
			t.Errorf("%s is left after finish", gone)
		}
	}
	requireScrape(t, sf, `pgtls_ca_rotation_phase{phase="finished"} 1`, `pgtls_scrape_collector_success{collector="ca_rotation"} 1`)

	// The next renewal signs with the new CA, which is now the configured one.
	if code, out := sf.run(t, Options{Force: true}); code != ExitOK {
		t.Fatalf("renew after the rotation: exit %d\n%s", code, out)
	}
	sf.requireHealthy(t)
	sf.requireClients(t, "renewed after", []client{bundle, newCA}, []client{oldCA})
	_ = cfg
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
