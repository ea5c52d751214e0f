package renew

import (
	"context"
	"fmt"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// recover finishes or undoes a transaction an earlier run left behind (it
// crashed, was killed, or could not roll back). It reports whether the run
// must stop there, with its exit code (the outcome is recorded then);
// after a transaction completed, or when there was none, the run goes on
// to plan as usual.
func (r *runner) recover(ctx context.Context) (int, bool) {
	j, err := loadJournal(r.stateDir)
	if err != nil {
		r.log.Error("unfinished renew cannot be read: a person must act now", "err", err)
		fmt.Fprintf(r.out, `renew: %v
A person must act now: an earlier renew was interrupted and its journal cannot be read.
Compare the files with the newest folder in %s/%s (manifest.json lists where each file belongs),
restore what is needed, then remove %s.
`, err, r.stateDir, backupsDir, journalPath(r.stateDir))
		r.recordAll(renewstate.ResultRollbackFailed, "unreadable journal: "+err.Error())
		return r.done(ExitBroken, "unreadable journal"), true
	}
	if j == nil {
		return ExitOK, false
	}
	r.log.Warn("an earlier renew was interrupted; finishing it", "id", j.ID, "phase", j.Phase,
		"entries", fmt.Sprint(j.entryNames()))
	fmt.Fprintf(r.out, "An earlier renew (%s) was interrupted in phase %q: finishing it first.\n", j.ID, j.Phase)
	t := r.newTxn()
	t.j = j
	switch j.Phase {
	case phasePreparing:
		if err := t.abandon(); err != nil {
			return r.broken(t, fmt.Errorf("undo the interrupted renew %s", j.ID), err), true
		}
		r.log.Info("interrupted renew undone; nothing had changed", "id", j.ID)
		return ExitOK, false
	case phaseRollingBack:
		cause := fmt.Errorf("finishing the rollback of renew %s: %s", j.ID, j.Error)
		return r.rollback(ctx, t, cause), true
	}
	code := r.complete(ctx, t)
	return code, code != ExitOK
}

// recordAll sets one result for every configured entry.
func (r *runner) recordAll(result, msg string) {
	for _, e := range r.cfg.Certificates {
		r.results[e.Name] = renewstate.Entry{Result: result, Error: msg}
	}
}
