package rules

import (
	"cmp"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// CheckRenew names findings about the last renew run.
const CheckRenew = "renew"

// RenewFindings reads renew's state folder and judges it (JudgeRenew).
// Nothing is found before renew has ever run.
func RenewFindings(stateDir string, now time.Time) []Finding {
	if _, err := os.Stat(stateDir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	_, jerr := os.Stat(filepath.Join(stateDir, renewstate.JournalFile))
	st, err := renewstate.Read(renewstate.Path(stateDir))
	return JudgeRenew(stateDir, jerr == nil, st, err, now)
}

// JudgeRenew judges what renew left in stateDir: whether its journal
// waits (renew_interrupted), and its state file or the error reading it
// (renew_state_unreadable; a missing file is no finding): the last run's
// outcome (renew_refused, renew_rolled_back, renew_not_rolled_back) and
// entries whose rollback failed (renew_rollback_failed).
func JudgeRenew(stateDir string, journalWaits bool, st *renewstate.State, readErr error, now time.Time) []Finding {
	var out []Finding
	add := func(code Code, format string, args ...any) {
		if code == "" {
			out = append(out, ok(SourceRenew, "renew", CheckRenew, stateDir, format, args...))
			return
		}
		out = append(out, problem(SourceRenew, "renew", CheckRenew, stateDir, code, format, args...))
	}
	if journalWaits {
		add(RenewInterrupted, "an interrupted renew waits to be finished or undone: run pgtls_exporter renew")
	}
	switch {
	case errors.Is(readErr, fs.ErrNotExist):
		return out
	case readErr != nil:
		add(RenewStateUnreadable, "%v", readErr)
		return out
	}
	ago := humanDuration(now.Sub(st.LastRun))
	switch st.Outcome {
	case renewstate.OutcomeOK:
		add("", "last run %s ago succeeded: %s", ago, st.Message)
	case renewstate.OutcomeRefused:
		add(RenewRefused, "last run %s ago refused to start, nothing was attempted: %s", ago, cmp.Or(st.Refused, st.Message))
	case renewstate.OutcomeRolledBack:
		add(RenewRolledBack, "last run %s ago failed and rolled back: %s", ago, st.Message)
	default:
		add(RenewNotRolledBack, "last run %s ago failed and could not roll back (exit %d): %s", ago, st.ExitCode, st.Message)
	}
	names := make([]string, 0, len(st.Entries))
	for name := range st.Entries {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if e := st.Entries[name]; e.Result == renewstate.ResultRollbackFailed {
			add(RenewRollbackFailed, "entry %s: rollback failed: %s", name, e.Error)
		}
	}
	return out
}
