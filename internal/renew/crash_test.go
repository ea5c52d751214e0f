package renew

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// journalExists tells whether a transaction is unfinished.
func journalExists(t testing.TB, f *fixture) bool {
	t.Helper()
	_, err := os.Stat(journalPath(f.config(t).RenewStateDir()))
	return err == nil
}

// TestKilledAtEveryStepOfFirstIssuance kills `renew --init --no-reload`
// right after each of its steps; the next run always converges to a CA
// and entries whose files all belong together.
func TestKilledAtEveryStepOfFirstIssuance(t *testing.T) {
	trial := runChild(t, childSpec{Config: newFixture(t, "").cfgPath, Init: true, NoReload: true})
	if trial.killed || trial.code != ExitOK || len(trial.steps) < 10 {
		t.Fatalf("trial run: code %d, steps %v\n%s", trial.code, trial.steps, trial.stderr)
	}
	t.Logf("%d steps: %s", len(trial.steps), strings.Join(trial.steps, ", "))
	for k := 1; k <= len(trial.steps); k++ {
		t.Run(trial.steps[k-1], func(t *testing.T) {
			f := newFixture(t, "")
			res := runChild(t, childSpec{Config: f.cfgPath, Init: true, NoReload: true, KillAt: k})
			if !res.killed {
				t.Fatalf("not killed at step %d: code %d\n%s", k, res.code, res.stderr)
			}
			code, out := f.run(t, Options{Init: true, NoReload: true})
			if code != ExitOK {
				t.Fatalf("next run: exit %d\n%s", code, out)
			}
			if journalExists(t, f) {
				t.Fatal("journal left")
			}
			requireConsistent(t, f.config(t))
		})
	}
}

// TestStackKilledAtEveryStep kills a renew of both services right after
// each of its steps. Right after the kill every entry is consistent on
// disk unless a journal records the transaction in flight; the next run
// finishes it, and then both servers serve exactly what the files hold.
func TestStackKilledAtEveryStep(t *testing.T) {
	sf := newStackFixture(t, time.Now().Add(300*24*time.Hour))
	trial := runChild(t, childSpec{Config: sf.cfgPath, Force: true})
	if trial.killed || trial.code != ExitOK {
		t.Fatalf("trial run: code %d\n%s", trial.code, trial.stderr)
	}
	t.Logf("%d steps: %s", len(trial.steps), strings.Join(trial.steps, ", "))
	for k := 1; k <= len(trial.steps); k++ {
		t.Run(trial.steps[k-1], func(t *testing.T) {
			before := requireConsistent(t, sf.config(t))
			res := runChild(t, childSpec{Config: sf.cfgPath, Force: true, KillAt: k})
			if !res.killed {
				t.Fatalf("not killed at step %d: code %d\n%s", k, res.code, res.stderr)
			}
			if !journalExists(t, sf.fixture) {
				requireConsistent(t, sf.config(t))
			}
			code, out := sf.run(t, Options{})
			if code != ExitOK {
				t.Fatalf("next run: exit %d\n%s", code, out)
			}
			if journalExists(t, sf.fixture) {
				t.Fatal("journal left")
			}
			after := sf.requireServedMatchesFiles(t)
			changed := after["postgres"] != before["postgres"]
			if changed != (after["pgbouncer"] != before["pgbouncer"]) {
				t.Fatalf("one entry renewed, the other not: %v -> %v", before, after)
			}
		})
	}
}

// TestStackKilledDuringRollback kills a renew whose new PostgreSQL key the
// server cannot read (so it rolls back) right after each rollback step;
// the next run finishes the rollback and the old certificates are served.
func TestStackKilledDuringRollback(t *testing.T) {
	testcerts.RequireRoot(t) // the new key goes to root, which PostgreSQL cannot read
	sf := newStackFixture(t, time.Now().Add(300*24*time.Hour))
	sf.configure(t, "0:0", sqlServices, "")
	sf.setVerifyTimeout(t, "1s")
	old := sf.requireServedMatchesFiles(t)
	trial := runChild(t, childSpec{Config: sf.cfgPath, Force: true})
	if trial.killed || trial.code != ExitRolledBack {
		t.Fatalf("trial run: code %d\n%s", trial.code, trial.stderr)
	}
	first := 0
	for i, s := range trial.steps {
		if s == "journal-rolling-back" {
			first = i + 1
		}
	}
	if first == 0 {
		t.Fatalf("no rollback steps: %v", trial.steps)
	}
	t.Logf("rollback steps: %s", strings.Join(trial.steps[first-1:], ", "))
	for k := first; k <= len(trial.steps); k++ {
		t.Run(trial.steps[k-1], func(t *testing.T) {
			res := runChild(t, childSpec{Config: sf.cfgPath, Force: true, KillAt: k})
			if !res.killed {
				t.Fatalf("not killed at step %d: code %d\n%s", k, res.code, res.stderr)
			}
			pending := journalExists(t, sf.fixture)
			code, out := sf.run(t, Options{})
			want := ExitOK // the rollback was over: nothing is due
			if pending {
				want = ExitRolledBack
			}
			if code != want {
				t.Fatalf("next run: exit %d, want %d\n%s", code, want, out)
			}
			if served := sf.requireServedMatchesFiles(t); served["postgres"] != old["postgres"] || served["pgbouncer"] != old["pgbouncer"] {
				t.Fatalf("served %v, want the old %v", served, old)
			}
		})
	}
}

// TestStackSIGTERMRollsBack sends a renew of both services SIGTERM right
// after its first rename, as Ctrl-C or a service manager would: it stops
// there, rolls back (reloading the servers with the old files), exits 1,
// and every file is byte for byte as before.
func TestStackSIGTERMRollsBack(t *testing.T) {
	sf := newStackFixture(t, time.Now().Add(300*24*time.Hour))
	termRollsBack(t, sf, childSpec{Force: true})
}

// termRollsBack runs renew (spec) on the fixture with SIGTERM right after
// its first rename and checks that it stops there, rolls back, exits 1
// and leaves every file byte for byte as before.
func termRollsBack(t *testing.T, sf *stackFixture, spec childSpec) {
	t.Helper()
	old := sf.requireServedMatchesFiles(t)
	before := snapshot(t, sf.path("certs"))
	spec.Config, spec.TermAfter = sf.cfgPath, "renamed "
	res := runChild(t, spec)
	if res.killed {
		t.Fatal("killed")
	}
	if !strings.Contains(res.stderr, "interrupted after installing") || !strings.Contains(res.stderr, "Rolling back") {
		t.Errorf("output does not say it was interrupted and rolled back:\n%s", res.stderr)
	}
	requireRolledBack(t, sf, res.code, res.stderr, before, old)
	if slices.Contains(res.steps, "verified") {
		t.Errorf("went on to verify after the signal: %v", res.steps)
	}
}
