package rules

import (
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

// RenewFindings judges renew's state folder: nothing before renew was ever
// run; CRITICAL for an interrupted run whose journal waits, for a run that
// could not roll back, and for an entry whose rollback failed; WARNING for a
// run that failed and rolled back; UNKNOWN for a state file that cannot be read.
func RenewFindings(stateDir string, now time.Time) []Finding {
	if _, err := os.Stat(stateDir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var out []Finding
	add := func(code Code, format string, args ...any) {
		if code == "" {
			out = append(out, ok(SourceRenew, "renew", CheckRenew, stateDir, format, args...))
			return
		}
		out = append(out, problem(SourceRenew, "renew", CheckRenew, stateDir, code, format, args...))
	}
	if _, err := os.Stat(filepath.Join(stateDir, renewstate.JournalFile)); err == nil {
		add(RenewInterrupted, "an interrupted renew waits to be finished or undone: run pgtls_exporter renew")
	}
	st, err := renewstate.Read(renewstate.Path(stateDir))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return out
	case err != nil:
		add(RenewStateUnreadable, "%v", err)
		return out
	}
	ago := humanDuration(now.Sub(st.LastRun))
	switch st.ExitCode {
	case 0:
		add("", "last run %s ago succeeded: %s", ago, st.Message)
	case 1:
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
