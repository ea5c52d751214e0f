package renew

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// requireRolledBack checks a run that failed and rolled back: exit 1, the
// certificate files byte for byte (and mode) as before, the old serials
// served, no journal, and the state saying so.
func requireRolledBack(t *testing.T, sf *stackFixture, code int, out string, before map[string]string, old map[string]string) {
	t.Helper()
	if code != ExitRolledBack {
		t.Fatalf("exit %d, want %d\n%s", code, ExitRolledBack, out)
	}
	if d := diffSnapshots(before, snapshot(t, sf.path("certs"))); d != "" {
		t.Fatalf("files differ after rollback:\n%s", d)
	}
	served := sf.requireServedMatchesFiles(t)
	for name, serial := range old {
		if served[name] != serial {
			t.Fatalf("entry %s serves %s after rollback, want the old %s", name, served[name], serial)
		}
	}
	cfg := sf.config(t)
	if _, err := os.Stat(journalPath(cfg.RenewStateDir())); !os.IsNotExist(err) {
		t.Fatalf("journal left after rollback: %v", err)
	}
	st := readState(t, cfg)
	if st.ExitCode != ExitRolledBack || st.Entries["postgres"].Result != renewstate.ResultRolledBack {
		t.Fatalf("state %+v", st)
	}
	requireScrape(t, sf, `pgtls_renew_last_exit_code 1`, `pgtls_renew_entry_last_result{name="postgres",result="rolled_back"} 1`)
}

// TestStackRollbackWhenPostgresCannotReadTheKey: the new key belongs to
// root with 0600, which PostgreSQL's rule accepts but cannot read: its
// reload keeps the old certificate, renew sees it and rolls back.
func TestStackRollbackWhenPostgresCannotReadTheKey(t *testing.T) {
	testcerts.RequireRoot(t)
	sf := newStackFixture(t, time.Now().Add(5*24*time.Hour))
	sf.configure(t, "0:0", sqlServices, "")
	old := sf.requireServedMatchesFiles(t)
	before := snapshot(t, sf.path("certs"))
	code, out := sf.run(t, Options{})
	requireRolledBack(t, sf, code, out, before, old)
	if !strings.Contains(out, "target postgres") || !strings.Contains(out, "serves serial "+old["postgres"]) {
		t.Fatalf("output does not say what failed:\n%s", out)
	}
	if log, _ := sf.s.PostgresLog(); !strings.Contains(log, "SSL configuration was not reloaded") {
		t.Errorf("PostgreSQL did not log the failed reload:\n%s", log)
	}
	fi, err := os.Stat(sf.path("certs/postgres.key"))
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid == 0 {
		t.Fatalf("old key owner not restored: %v", err)
	}
}

// TestStackVerifyDeadlineKeepsTheFinding: a verify window far shorter than
// one probe still reports what a complete probe found (the old serial is
// served), not a probe cut short by the window.
func TestStackVerifyDeadlineKeepsTheFinding(t *testing.T) {
	testcerts.RequireRoot(t)
	sf := newStackFixture(t, time.Now().Add(5*24*time.Hour))
	sf.configure(t, "0:0", sqlServices, "")
	sf.setVerifyTimeout(t, "1ms")
	old := sf.requireServedMatchesFiles(t)
	before := snapshot(t, sf.path("certs"))
	code, out := sf.run(t, Options{})
	requireRolledBack(t, sf, code, out, before, old)
	if !strings.Contains(out, "target postgres") || !strings.Contains(out, "serves serial "+old["postgres"]) {
		t.Fatalf("output does not keep the finding:\n%s", out)
	}
	if strings.Contains(out, "timed out") || strings.Contains(out, "deadline exceeded") {
		t.Fatalf("output reports a probe cut short:\n%s", out)
	}
}

// TestStackRollbackWhenPgBouncerKeepsOldTLS: a key that does not match
// makes PgBouncer keep its old TLS configuration while RELOAD still
// answers success; only the served certificate shows it.
func TestStackRollbackWhenPgBouncerKeepsOldTLS(t *testing.T) {
	sf := newStackFixture(t, time.Now().Add(5*24*time.Hour))
	old := sf.requireServedMatchesFiles(t)
	before := snapshot(t, sf.path("certs"))
	stranger := testcerts.Issue(t, nil, testcerts.Options{CommonName: "stranger"})
	code, out := sf.run(t, Options{BeforeReload: func(context.Context) error {
		return atomicfile.Write(sf.path("certs/pgbouncer.key"), stranger.KeyPEM, 0o600, fileOwner(sf.path("certs/pgbouncer.key")))
	}})
	requireRolledBack(t, sf, code, out, before, old)
	if !strings.Contains(out, "target pgbouncer") {
		t.Fatalf("output does not name the target:\n%s", out)
	}
	if log, _ := sf.s.PgBouncerLog(); !strings.Contains(log, "TLS configuration could not be reloaded") {
		t.Errorf("PgBouncer did not log the failed reload:\n%s", log)
	}
}

// TestStackRollbackWhenVerifyFullFails: the new certificate is served but
// does not pass verify-full for the name clients use (the entry's
// expected_names lost "db" while the target still connects as db).
func TestStackRollbackWhenVerifyFullFails(t *testing.T) {
	sf := newStackFixture(t, time.Now().Add(300*24*time.Hour))
	old := sf.requireServedMatchesFiles(t)
	data, _ := os.ReadFile(sf.cfgPath)
	if err := os.WriteFile(sf.cfgPath, []byte(strings.Replace(string(data), "[postgres, db, localhost, 127.0.0.1]", "[postgres, localhost, 127.0.0.1]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, sf.path("certs"))
	code, out := sf.run(t, Options{Force: true})
	requireRolledBack(t, sf, code, out, before, old)
	if !strings.Contains(out, "verify-full fails") || !strings.Contains(out, "db") {
		t.Fatalf("output does not say verify-full failed:\n%s", out)
	}
}

// TestStackBrokenThenRecovered: PgBouncer goes away mid-renew, so neither
// the new nor the old certificate can be confirmed: exit 2, journal kept.
// Once PgBouncer is back, the next run finishes the rollback (exit 1) and
// the one after renews (exit 0).
func TestStackBrokenThenRecovered(t *testing.T) {
	sf := newStackFixture(t, time.Now().Add(5*24*time.Hour))
	old := sf.requireServedMatchesFiles(t)
	code, out := sf.run(t, Options{BeforeReload: func(ctx context.Context) error { return sf.s.StopPgBouncer(ctx) }})
	if code != ExitBroken || !strings.Contains(out, "A person must act now") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	cfg := sf.config(t)
	if _, err := os.Stat(journalPath(cfg.RenewStateDir())); err != nil {
		t.Fatalf("journal gone after a failed rollback: %v", err)
	}
	if st := readState(t, cfg); st.ExitCode != ExitBroken || st.Entries["pgbouncer"].Result != renewstate.ResultRollbackFailed {
		t.Fatalf("state %+v", st)
	}
	// The files are the old ones already (the restore worked; only the
	// confirmation failed).
	requireConsistent(t, cfg)
	if err := sf.s.StartPgBouncer(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, out = sf.run(t, Options{})
	if code != ExitRolledBack || !strings.Contains(out, "interrupted in phase \"rolling_back\"") {
		t.Fatalf("finishing the rollback: exit %d\n%s", code, out)
	}
	if served := sf.requireServedMatchesFiles(t); served["pgbouncer"] != old["pgbouncer"] || served["postgres"] != old["postgres"] {
		t.Fatalf("served %v, want %v", served, old)
	}
	code, out = sf.run(t, Options{})
	if code != ExitOK {
		t.Fatalf("renew after recovery: exit %d\n%s", code, out)
	}
	if served := sf.requireServedMatchesFiles(t); served["pgbouncer"] == old["pgbouncer"] {
		t.Fatal("not renewed")
	}
}

// TestStackSignalAndCommandReloads renews with the other reload ways:
// SIGHUP to the pid files, and commands (argv, no shell).
func TestStackSignalAndCommandReloads(t *testing.T) {
	sf := newStackFixture(t, time.Now().Add(300*24*time.Hour))
	signals := `    - name: db
      kind: postgres
      certificates: [postgres]
      reload: {signal: {pid_file: "{{pgpid}}"}}
    - name: pgbouncer
      kind: pgbouncer
      certificates: [pgbouncer]
      reload: {signal: {pid_file: "{{pgbpid}}", signal: SIGHUP}}
`
	commands := `    - name: db
      kind: postgres
      certificates: [postgres]
      reload: {command: [psql, -X, -q, -h, "{{pgsock}}", -p, "{{pgport}}", -U, postgres, -d, postgres, -c, "SELECT pg_reload_conf()"]}
    - name: pgbouncer
      kind: pgbouncer
      certificates: [pgbouncer]
      reload: {command: [/bin/kill, -HUP, "` + itoa(sf.s.PgBouncerPID()) + `"]}
`
	for name, services := range map[string]string{"signal": signals, "command": commands} {
		t.Run(name, func(t *testing.T) {
			sf.configure(t, "", services, "")
			old := sf.requireServedMatchesFiles(t)
			code, out := sf.run(t, Options{Force: true})
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if now := sf.requireServedMatchesFiles(t); now["postgres"] == old["postgres"] || now["pgbouncer"] == old["pgbouncer"] {
				t.Fatalf("serials %v -> %v", old, now)
			}
		})
	}
}
