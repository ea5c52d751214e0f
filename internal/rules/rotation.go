package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// CheckCARotation names findings about a CA rotation.
const CheckCARotation = "ca-rotation"

// CARotationFindings reads the rotation state in renew's state folder and
// judges it (JudgeCARotation).
func CARotationFindings(stateDir string, now time.Time, maxAge time.Duration) []Finding {
	path := renewstate.RotationPath(stateDir)
	st, err := renewstate.ReadRotation(path)
	return JudgeCARotation(path, st, err, now, maxAge)
}

// JudgeCARotation judges a CA rotation's state: nothing before the first
// rotation (no file); ca_rotation_state_unreadable when the file cannot
// be read; ca_rotation_stalled when it has stayed prepared or switched
// longer than maxAge; otherwise an OK row with the phase and both CAs.
func JudgeCARotation(path string, st *renewstate.Rotation, readErr error, now time.Time, maxAge time.Duration) []Finding {
	switch {
	case errors.Is(readErr, fs.ErrNotExist):
		return nil
	case readErr != nil:
		return []Finding{problem(SourceCARotation, config.CAName, CheckCARotation, path, CARotationStateUnreadable, "%v", readErr)}
	}
	cas := fmt.Sprintf("old CA %q expires %s, new CA %q expires %s", st.OldCA.Subject, st.OldCA.NotAfter.UTC().Format(time.RFC3339),
		st.NewCA.Subject, st.NewCA.NotAfter.UTC().Format(time.RFC3339))
	age := now.Sub(st.Since)
	next := map[string]string{
		renewstate.PhasePrepared: "clients that hold the bundle trust both CAs; next: renew --rotate-ca --until switch",
		renewstate.PhaseSwitched: "the servers serve certificates of the new CA; next, once no client needs the old CA: renew --rotate-ca --finish",
	}[st.Phase]
	if st.Phase == renewstate.PhaseFinished {
		return []Finding{ok(SourceCARotation, config.CAName, CheckCARotation, path, "finished %s ago: %s", humanDuration(age), cas)}
	}
	if age > maxAge {
		return []Finding{problem(SourceCARotation, config.CAName, CheckCARotation, path, CARotationStalled,
			"%s for %s, longer than max_phase_age (%s): %s; %s", st.Phase, humanDuration(age), humanDuration(maxAge), next, cas)}
	}
	return []Finding{ok(SourceCARotation, config.CAName, CheckCARotation, path, "%s %s ago: %s; %s", st.Phase, humanDuration(age), next, cas)}
}

// CARotationPerf is the days left of the old and the new CA while a
// rotation is prepared or switched (both are trusted then), with the CA
// thresholds; nothing otherwise.
func CARotationPerf(stateDir string, th Policy, now time.Time) []Perf {
	st, err := renewstate.ReadRotation(renewstate.RotationPath(stateDir))
	if err != nil || st.Phase == renewstate.PhaseFinished {
		return nil
	}
	return []Perf{daysLeft("ca_old_days_left", st.OldCA.NotAfter, th.CAWarnBefore, th.CACritBefore, now),
		daysLeft("ca_new_days_left", st.NewCA.NotAfter, th.CAWarnBefore, th.CACritBefore, now)}
}
