package renew

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// silentReload is sqlServices where the service named reloads with a
// command that does nothing and succeeds.
func silentReload(service string) string {
	lines := strings.Split(sqlServices, "\n")
	in := false
	for i, l := range lines {
		if strings.HasPrefix(l, "    - name: ") {
			in = l == "    - name: "+service
		}
		if in && strings.HasPrefix(l, "      reload: ") {
			lines[i] = "      reload: {command: [/bin/true]}"
		}
	}
	return strings.Join(lines, "\n")
}

// prepared is a rotation fixture whose rotation is prepared, with the
// clients holding the old CA, the bundle and the new CA.
func prepared(t *testing.T) (sf *stackFixture, oldCA, bundle, newCA client) {
	t.Helper()
	sf = newRotationFixture(t)
	oldCA = client{"the old CA", keep(t, sf.path("certs/ca/ca.crt"))}
	sf.rotate(t, ExitOK, Options{Until: rotation.StepPrepare})
	bundle = client{"the bundle", keep(t, sf.path("certs/ca/ca-bundle.crt"))}
	newCA = client{"the new CA", keep(t, sf.path("certs/ca/ca-next.crt"))}
	return sf, oldCA, bundle, newCA
}

// TestStackRotationSwitchRollsBackASilentReload: PgBouncer's reload
// succeeds and does nothing, so it keeps serving its certificate of the
// old CA after switch. renew sees it, restores every file, reloads again
// and confirms the old certificates are served: the rotation stays
// prepared and every client connects as before.
func TestStackRotationSwitchRollsBackASilentReload(t *testing.T) {
	sf, oldCA, bundle, newCA := prepared(t)
	sf.configure(t, "", silentReload("pgbouncer"), rotationLinkAdmin)
	old := sf.requireHealthy(t)
	before := snapshot(t, sf.path("certs"))
	code, out := sf.run(t, Options{RotateCA: true})
	requireRolledBack(t, sf, code, out, before, old)
	for _, want := range []string{"target pgbouncer", "serves serial " + old["pgbouncer"], "CA rotation rolled back, it stays prepared"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	sf.requirePhase(t, renewstate.PhasePrepared)
	sf.requireHealthy(t)
	sf.requireClients(t, "rolled back", []client{bundle, oldCA}, []client{newCA})
	requireScrape(t, sf, `pgtls_ca_rotation_phase{phase="prepared"} 1`)

	sf.configure(t, "", sqlServices, rotationLinkAdmin)
	sf.rotate(t, ExitOK, Options{})
	sf.requirePhase(t, renewstate.PhaseSwitched)
	sf.requireClients(t, "switched", []client{bundle, newCA}, []client{oldCA})
}

// TestStackRotationSIGTERMRollsBackSwitch: SIGTERM right after switch's
// first rename stops it there; it rolls back and the rotation stays
// prepared.
func TestStackRotationSIGTERMRollsBackSwitch(t *testing.T) {
	sf, _, _, _ := prepared(t)
	termRollsBack(t, sf, childSpec{RotateCA: true})
	sf.requirePhase(t, renewstate.PhasePrepared)
	sf.requireHealthy(t)
}

// TestStackRotationFinishRefusesWhileTheOldCAIsNeeded: after switch, a
// target's client certificate and a client session's certificate are
// still of the old CA. finish refuses, naming both, and changes nothing;
// once they are gone it finishes.
func TestStackRotationFinishRefusesWhileTheOldCAIsNeeded(t *testing.T) {
	sf, _, bundle, _ := prepared(t)
	sf.rotate(t, ExitOK, Options{})
	monitor := testcerts.Issue(t, sf.ca, testcerts.Options{CommonName: "monitor", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	testcerts.WriteFile(t, sf.path("certs/monitor.crt"), monitor.CertPEM, 0o644)
	testcerts.WriteFile(t, sf.path("certs/monitor.key"), monitor.KeyPEM, 0o600)
	testcerts.WriteFile(t, sf.path("monitor.pw"), []byte(sf.s.Password(testenv.UserMonitor)+"\n"), 0o600)
	plain := mustRead(t, sf.cfgPath)
	withOldClients := strings.Replace(string(plain), "certificate: postgres}", "certificate: postgres, client_cert: certs/monitor.crt, client_key: certs/monitor.key}", 1) +
		fmt.Sprintf("sessions:\n  postgres:\n    - name: db\n      dsn: \"host=127.0.0.1 port=%d dbname=postgres user=monitor sslmode=verify-full sslrootcert=certs/ca/ca.crt\"\n      password_file: monitor.pw\n",
			sf.s.PostgresPort())
	testcerts.WriteFile(t, sf.cfgPath, []byte(withOldClients), 0o644)

	// A client session with a certificate of the old CA, which PostgreSQL
	// accepts while it trusts both.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	session, err := pgx.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d dbname=%s user=%s password=%s sslmode=verify-full sslrootcert=%s sslcert=%s sslkey=%s",
		sf.s.PostgresPort(), testenv.Database, testenv.UserApp, sf.s.Password(testenv.UserApp), bundle.rootCert, sf.path("certs/monitor.crt"), sf.path("certs/monitor.key")))
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close(context.Background())

	before := snapshot(t, sf.path("certs"))
	out := sf.rotate(t, ExitRefused, Options{Finish: true})
	for _, want := range []string{
		"target postgres client_cert certs/monitor.crt: serial " + certs.Serial(monitor.Cert) + ` is issued by the old CA "CN=Fixture CA"`,
		`server db: 1 client sessions use a certificate issued by the old CA "/CN=Fixture CA"`,
		"REFUSED, nothing will be written: 2 things still need the old CA",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if d := diffSnapshots(before, snapshot(t, sf.path("certs"))); d != "" {
		t.Fatalf("a refused finish changed files:\n%s", d)
	}
	sf.requirePhase(t, renewstate.PhaseSwitched)

	if err := session.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	testcerts.WriteFile(t, sf.cfgPath, plain, 0o644)
	sf.rotate(t, ExitOK, Options{Finish: true})
	sf.requirePhase(t, renewstate.PhaseFinished)
	sf.requireHealthy(t)
}

// TestStackRotationRollsBackWhenPostgresKeepsItsCAFile: PostgreSQL's
// reload does nothing, so it keeps its CA file, which its certificate
// requests name: prepare (the new CA missing) and finish (the old CA
// still there) are rolled back, each leaving the rotation where it was.
func TestStackRotationRollsBackWhenPostgresKeepsItsCAFile(t *testing.T) {
	sf := newRotationFixture(t)
	rolledBack := func(step, phase, why string) {
		t.Helper()
		served := sf.requireHealthy(t)
		before := snapshot(t, sf.path("certs"))
		sf.configure(t, "", silentReload("db"), rotationLink)
		out := sf.rotate(t, ExitRolledBack, Options{Until: step})
		for _, want := range []string{"target postgres", why, "CA rotation rolled back, it stays " + phase} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", step, want, out)
			}
		}
		if d := diffSnapshots(before, snapshot(t, sf.path("certs"))); d != "" {
			t.Fatalf("%s: files differ after the rollback:\n%s", step, d)
		}
		sf.requirePhase(t, phase)
		if again := sf.requireHealthy(t); again["postgres"] != served["postgres"] || again["pgbouncer"] != served["pgbouncer"] {
			t.Fatalf("%s: served %v after the rollback, want %v", step, again, served)
		}
		if st := readState(t, sf.config(t)); st.ExitCode != ExitRolledBack {
			t.Fatalf("%s: state %+v", step, st)
		}
		sf.configure(t, "", sqlServices, rotationLink)
	}
	rolledBack(rotation.StepPrepare, renewstate.PhaseNone, `accepts client certificates of the old CA "CN=Fixture CA" but not of the new one`)
	sf.rotate(t, ExitOK, Options{Until: rotation.StepSwitch})
	rolledBack(rotation.StepFinish, renewstate.PhaseSwitched, `still accepts client certificates of the old CA "CN=Fixture CA"`)
	sf.rotate(t, ExitOK, Options{Finish: true})
	sf.requirePhase(t, renewstate.PhaseFinished)
}

// TestStackRotationRefusesABrokenLinkCheck: a link check that fails before
// anything changed (a wrong password) refuses the step, which could
// neither be verified nor rolled back.
func TestStackRotationRefusesABrokenLinkCheck(t *testing.T) {
	sf := newRotationFixture(t)
	testcerts.WriteFile(t, sf.path("app.pw"), []byte("not the password\n"), 0o600)
	before := snapshot(t, sf.dir)
	out := sf.rotate(t, ExitRefused, Options{})
	if !strings.Contains(out, "REFUSED, nothing will be written: before anything changed: PgBouncer does not reach PostgreSQL over a new connection") ||
		!strings.Contains(out, "SASL authentication failed") {
		t.Fatalf("output:\n%s", out)
	}
	after := snapshot(t, sf.dir)
	for _, f := range []string{"renew-state/state.json", "renew-state/renew.lock"} {
		delete(after, f)
	}
	if d := diffSnapshots(before, after); d != "" {
		t.Fatalf("a refused step changed files:\n%s", d)
	}
	sf.requirePhase(t, renewstate.PhaseNone)
}
