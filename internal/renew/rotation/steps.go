package rotation

import (
	"fmt"
	"slices"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// Steps of a CA rotation. Each is one transaction that reaches a phase:
// prepare (trust both CAs), switch (serve certificates of the new CA),
// finish (trust the new CA alone).
const (
	StepPrepare = "prepare"
	StepSwitch  = "switch"
	StepFinish  = "finish"
)

// Steps lists the steps in their order (the values of --until).
func Steps() []string { return []string{StepPrepare, StepSwitch, StepFinish} }

// Reaches is the phase a step reaches.
func Reaches(step string) string {
	return map[string]string{StepPrepare: renewstate.PhasePrepared, StepSwitch: renewstate.PhaseSwitched,
		StepFinish: renewstate.PhaseFinished}[step]
}

// PhaseBefore is the phase a step starts from within a run.
func PhaseBefore(step string) string {
	return map[string]string{StepPrepare: renewstate.PhaseNone, StepSwitch: renewstate.PhasePrepared,
		StepFinish: renewstate.PhaseSwitched}[step]
}

// underway reports whether a rotation in phase has begun and not finished.
func underway(phase string) bool {
	return phase == renewstate.PhasePrepared || phase == renewstate.PhaseSwitched
}

// StepsFrom decides the steps a run takes from phase: up to until, else
// the next one. A finished rotation is followed by a new one. finish
// (--finish) finishes the rotation under way, and is nothing to do once
// it has finished (a run that finished it after a crash, say); the finish
// step is taken only with it or with until finish. Without steps, msg
// says why, and refuse whether that is a refusal rather than nothing to
// do.
func StepsFrom(phase, until string, finish bool) (steps []string, msg string, refuse bool) {
	if finish && until == "" {
		if phase == renewstate.PhaseFinished {
			return nil, "the CA rotation is finished already: nothing to do (renew --rotate-ca starts a new one)", false
		}
		if !underway(phase) {
			return nil, fmt.Sprintf("no CA rotation is under way (phase %s): nothing to finish; renew --rotate-ca starts one", phase), true
		}
		until = StepFinish
	}
	done := slices.Index(renewstate.Phases(), phase) // none 0, prepared 1, switched 2, finished 3
	if phase == renewstate.PhaseFinished {
		done = 0
	}
	target := done + 1
	if until != "" {
		target = slices.Index(Steps(), until) + 1
	}
	switch {
	case target <= done:
		return nil, fmt.Sprintf("the CA rotation is %s already: nothing to do up to %s", phase, until), false
	case target == 3 && until != StepFinish:
		return nil, "the CA rotation is switched: every server serves certificates of the new CA while both CAs are trusted. " +
			"Once no client needs the old CA, finish it with renew --rotate-ca --finish", true
	}
	return Steps()[done:target], "", false
}
