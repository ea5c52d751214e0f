package renew

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	checkcmd "github.com/magflow/pgtls_exporter/internal/check"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/rules"
)

// checkLastRun runs the check command (JSON) on the fixture's
// configuration and returns its finding about renew's last run.
func checkLastRun(t *testing.T, f *fixture) rules.Finding {
	t.Helper()
	var out bytes.Buffer
	checkcmd.Run(context.Background(), &out, checkcmd.Options{ConfigFile: f.cfgPath, Output: "json"})
	var res rules.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("check output: %v\n%s", err, out.String())
	}
	var last []rules.Finding
	for _, fd := range res.Findings {
		if fd.Check == rules.CheckRenew && fd.Code != rules.RenewInterrupted && fd.Code != rules.RenewRollbackFailed {
			last = append(last, fd)
		}
	}
	if len(last) != 1 {
		t.Fatalf("check has %d findings about renew's last run, want 1: %+v", len(last), last)
	}
	return last[0]
}

// requireOutcome checks the state file and check's finding after a run:
// exit code, outcome, refusal reason, message, and the finding's code and
// detail (the code empty for an OK row).
func requireOutcome(t *testing.T, f *fixture, code int, outcome, refused, message string, finding rules.Code, detail string) {
	t.Helper()
	st := readState(t, f.config(t))
	if st.ExitCode != code || st.Outcome != outcome || st.Refused != refused || st.Message != message {
		t.Errorf("state: exit_code %d, outcome %q, refused %q, message %q\nwant %d, %q, %q, %q",
			st.ExitCode, st.Outcome, st.Refused, st.Message, code, outcome, refused, message)
	}
	fd := checkLastRun(t, f)
	if fd.Code != finding || fd.Detail != detail {
		t.Errorf("check: %q %q\nwant %q %q", fd.Code, fd.Detail, finding, detail)
	}
}

// missingCAKey is the CA line's reason when ca.key is gone.
const missingCAKey = "CA key certs/ca/ca.key is missing, so nothing can be signed; a new CA would break every client that trusts " +
	"certs/ca/ca.crt, so renew creates none (--init only acts when neither file exists): restore the key from a backup"

// TestRefusedRunIsNotARollback: a run refused because ca.key is missing
// attempts nothing; it exits 4, records the outcome refused with its
// reason, and check reports renew_refused, not renew_rolled_back.
func TestRefusedRunIsNotARollback(t *testing.T) {
	f := newFixture(t, reloadBoth).withCerts(t, time.Now().Add(5*24*time.Hour))
	if err := os.Remove(f.path("certs/ca/ca.key")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, f.dir)
	code, out := f.run(t, Options{})
	if code != ExitRefused {
		t.Fatalf("exit %d, want %d\n%s", code, ExitRefused, out)
	}
	for _, want := range []string{
		"\n  REFUSED, nothing will be written: no usable CA (see the CA line)\n",
		"\nrenew: refused, nothing attempted: the plan was refused (see above) (",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "rolled back") {
		t.Errorf("a refusal is reported as a rollback:\n%s", out)
	}
	requireOnlyStateChanged(t, f, before)
	requireOutcome(t, f, ExitRefused, renewstate.OutcomeRefused, missingCAKey, "refused: "+missingCAKey,
		rules.RenewRefused, "last run 0 minutes ago refused to start, nothing was attempted: "+missingCAKey)
	st := readState(t, f.config(t))
	for _, name := range entryNames {
		if e := st.Entries[name]; e.Result != renewstate.ResultNotRenewed || e.Error != missingCAKey {
			t.Errorf("entry %s: %+v", name, e)
		}
	}
	if !st.LastSuccess.IsZero() {
		t.Errorf("a refusal counts as a success: %v", st.LastSuccess)
	}
}

// TestLockHeldIsARefusal: a run refused by the lock exits 4 and leaves
// the state file to the run that holds it.
func TestLockHeldIsARefusal(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(5*24*time.Hour))
	stateDir := f.config(t).RenewStateDir()
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	lk, err := acquireLock(context.Background(), stateDir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.release()
	code, out := f.run(t, Options{NoReload: true})
	if code != ExitRefused || !strings.HasPrefix(out, "renew: refused, nothing attempted: another renew is running (pid ") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if _, err := os.Stat(renewstate.Path(stateDir)); !os.IsNotExist(err) {
		t.Fatalf("the refused run wrote the state file: %v", err)
	}
}

// TestFinishedRotationFinishedAgainIsNothingToDo: --rotate-ca --finish
// once the rotation has finished, by this run's recovery of a finish
// killed half way or by an earlier run, is nothing to do: exit 0.
func TestFinishedRotationFinishedAgainIsNothingToDo(t *testing.T) {
	switched := func() *fixture {
		f := offlineRotation(t)
		if code, out := f.run(t, Options{RotateCA: true, Until: rotation.StepSwitch}); code != ExitOK {
			t.Fatalf("prepare and switch: exit %d\n%s", code, out)
		}
		return f
	}
	finish := childSpec{RotateCA: true, Finish: true}
	finish.Config = switched().cfgPath
	trial := runChild(t, finish)
	k := slices.Index(trial.steps, "journal-installed") + 1
	if trial.killed || trial.code != ExitOK || k == 0 {
		t.Fatalf("trial finish: code %d, steps %v\n%s", trial.code, trial.steps, trial.stderr)
	}
	f := switched()
	finish.Config, finish.KillAt = f.cfgPath, k
	if res := runChild(t, finish); !res.killed || !journalExists(t, f) {
		t.Fatalf("finish not killed after journal-installed: code %d\n%s", res.code, res.stderr)
	}
	const nothing = "the CA rotation is finished already: nothing to do (renew --rotate-ca starts a new one)"
	code, out := f.run(t, Options{RotateCA: true, Finish: true})
	if code != ExitOK || !strings.Contains(out, "\nrenew: ok: CA rotation finished: the new CA alone is trusted (") ||
		!strings.Contains(out, "\nrenew: ok: "+nothing+" (") {
		t.Fatalf("finish after a crash: exit %d\n%s", code, out)
	}
	st, err := rotation.Read(f.config(t).RenewStateDir())
	if err != nil || st.Phase != renewstate.PhaseFinished {
		t.Fatalf("phase %+v %v", st, err)
	}
	requireOutcome(t, f, ExitOK, renewstate.OutcomeOK, "", nothing, "", "last run 0 minutes ago succeeded: "+nothing)
	requireConsistent(t, f.config(t))

	before := snapshot(t, f.dir)
	code, out = f.run(t, Options{RotateCA: true, Finish: true})
	if code != ExitOK || !strings.HasPrefix(out, "renew: ok: "+nothing+" (") || strings.Count(out, "\n") != 1 {
		t.Fatalf("finish once more: exit %d\n%s", code, out)
	}
	requireOnlyStateChanged(t, f, before)
	requireOutcome(t, f, ExitOK, renewstate.OutcomeOK, "", nothing, "", "last run 0 minutes ago succeeded: "+nothing)
}

// TestUnreloadedEntryNeedsNoReload: an entry that no service reloads and
// no target serves is refused, with how to fix it; --no-reload renews it
// and says the server keeps serving the old certificate.
func TestUnreloadedEntryNeedsNoReload(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(5*24*time.Hour))
	before := snapshot(t, f.dir)
	code, out := f.run(t, Options{Only: []string{"postgres"}})
	const reason = "entry postgres: no renew.services entry reloads it and no target serves it, so nothing would load a new " +
		"certificate and its server would keep serving the old one: list it under certificates of a renew.services entry " +
		"(and as certificate of a targets entry, to verify it), or run with --no-reload to write the files alone"
	if code != ExitRefused || !strings.Contains(out, "\n  REFUSED, nothing will be written: "+reason+"\n") ||
		!strings.Contains(out, "\nrenew: refused, nothing attempted: the plan was refused (see above) (") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	requireOnlyStateChanged(t, f, before)
	requireOutcome(t, f, ExitRefused, renewstate.OutcomeRefused, reason, "refused: "+reason,
		rules.RenewRefused, "last run 0 minutes ago refused to start, nothing was attempted: "+reason)

	code, out = f.run(t, Options{Only: []string{"postgres"}, NoReload: true})
	const renewed = "renewed postgres (--no-reload: not installed into services, not reloaded, not verified; " +
		"a running server keeps serving its old certificate until it is reloaded)"
	if code != ExitOK || !strings.Contains(out, "\n    3. no install into services, no reload, no verification (--no-reload): "+
		"a running server keeps serving its old certificate until it is reloaded\n") || !strings.Contains(out, "\nrenew: ok: "+renewed+" (") ||
		strings.Contains(out, "confirm") {
		t.Fatalf("--no-reload: exit %d\n%s", code, out)
	}
	requireOutcome(t, f, ExitOK, renewstate.OutcomeOK, "", renewed, "", "last run 0 minutes ago succeeded: "+renewed)
	if e := readState(t, f.config(t)).Entries["postgres"]; e.Result != renewstate.ResultRenewed {
		t.Fatalf("entry postgres: %+v", e)
	}
}

// TestPlanPromisesOnlyWhatItVerifies: the plan's rollback step confirms
// the old certificates only when a target serves them; a reload that no
// target verifies is a warning.
func TestPlanPromisesOnlyWhatItVerifies(t *testing.T) {
	f := newFixture(t, reloadBoth).withCerts(t, time.Now().Add(5*24*time.Hour))
	code, out := f.run(t, Options{DryRun: true})
	for _, want := range []string{
		"\n    4. on failure: restore the backup, reload again (no target to confirm the old certificates are served)\n",
		"\n  WARNING: entry pgbouncer: no target serves it (a targets entry with certificate: pgbouncer), so its reload is not verified\n",
		"\n  WARNING: entry postgres: no target serves it (a targets entry with certificate: postgres), so its reload is not verified\n",
	} {
		if code != ExitOK || !strings.Contains(out, want) {
			t.Errorf("exit %d; no target: output lacks %q:\n%s", code, want, out)
		}
	}
	f.writeConfig(t, reloadBoth+"targets: [{name: db, address: '127.0.0.1:1', certificate: postgres}]\n")
	code, out = f.run(t, Options{DryRun: true})
	for _, want := range []string{
		"\n    5. on failure: restore the backup, reload again, confirm the old certificates are served\n",
		"\n  WARNING: entry pgbouncer: no target serves it (a targets entry with certificate: pgbouncer), so its reload is not verified\n",
	} {
		if code != ExitOK || !strings.Contains(out, want) {
			t.Errorf("exit %d; a target: output lacks %q:\n%s", code, want, out)
		}
	}
	if strings.Contains(out, "entry postgres: no target serves it") {
		t.Errorf("postgres has a target:\n%s", out)
	}
}

// TestRotationWarnsOfAnUnreloadedEntry: a CA rotation has no
// --no-reload, so switch reissues an entry that nothing reloads or
// verifies, and its plan says what that leaves behind.
func TestRotationWarnsOfAnUnreloadedEntry(t *testing.T) {
	f := newFixture(t, "renew:\n  services:\n    - {name: db, kind: postgres, certificates: [postgres], reload: {command: [/bin/true]}}\n").
		withCerts(t, time.Now().Add(300*24*time.Hour))
	if code, out := f.run(t, Options{RotateCA: true}); code != ExitOK {
		t.Fatalf("prepare: exit %d\n%s", code, out)
	}
	code, out := f.run(t, Options{RotateCA: true, DryRun: true})
	const want = "\n  WARNING: entry pgbouncer: no renew.services entry reloads it and no target serves it: a server that serves it " +
		"keeps its certificate of the old CA until it is reloaded, and finish cannot see that\n"
	if code != ExitOK || !strings.Contains(out, want) || strings.Contains(out, "entry postgres: no renew.services") {
		t.Fatalf("switch dry run: exit %d\n%s", code, out)
	}
}
