package rules

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

func TestRenewFindings(t *testing.T) {
	now := time.Now()
	dir := filepath.Join(t.TempDir(), "renew-state")
	if got := RenewFindings(dir, now); got != nil {
		t.Fatalf("no state folder: %v", got)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if got := RenewFindings(dir, now); got != nil {
		t.Fatalf("no state file: %v", got)
	}
	write := func(s *renewstate.State) {
		t.Helper()
		if err := renewstate.Write(renewstate.Path(dir), s); err != nil {
			t.Fatal(err)
		}
	}
	write(&renewstate.State{LastRun: now.Add(-3 * time.Hour), ExitCode: 0, Message: "renewed postgres"})
	want := func(st Severity, detail string) {
		t.Helper()
		res := Summarize(RenewFindings(dir, now))
		last := res.Findings[len(res.Findings)-1]
		if res.Status != st || last.Detail != detail || last.Check != CheckRenew {
			t.Fatalf("got %v %q, want %v %q", res.Status, last.Detail, st, detail)
		}
	}
	want(OK, "last run 3 hours ago succeeded: renewed postgres")
	write(&renewstate.State{LastRun: now.Add(-3 * time.Hour), ExitCode: 1, Message: "verify failed; rolled back"})
	want(Warning, "last run 3 hours ago failed and rolled back: verify failed; rolled back")
	write(&renewstate.State{LastRun: now.Add(-3 * time.Hour), ExitCode: 4, Outcome: renewstate.OutcomeRefused,
		Message: "refused: no usable CA", Refused: "no usable CA"})
	want(Warning, "last run 3 hours ago refused to start, nothing was attempted: no usable CA")
	if f := RenewFindings(dir, now)[0]; f.Code != RenewRefused {
		t.Fatalf("refused: %+v", f)
	}
	write(&renewstate.State{LastRun: now.Add(-3 * time.Hour), ExitCode: 2, Message: "reload failed",
		Entries: map[string]renewstate.Entry{"pgbouncer": {Result: renewstate.ResultRollbackFailed, Error: "PgBouncer is down"}}})
	want(Critical, "entry pgbouncer: rollback failed: PgBouncer is down")
	if err := os.WriteFile(filepath.Join(dir, renewstate.JournalFile), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f := RenewFindings(dir, now)[0]; f.Status != Critical || f.Detail != "an interrupted renew waits to be finished or undone: run pgtls_exporter renew" {
		t.Fatalf("journal: %+v", f)
	}
	if err := os.WriteFile(renewstate.Path(dir), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if f := RenewFindings(dir, now)[1]; f.Status != Unknown {
		t.Fatalf("garbled state: %+v", f)
	}
}
