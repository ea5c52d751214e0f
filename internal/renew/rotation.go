package renew

import (
	"context"
	"fmt"
	"slices"
	"time"

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

// RotationSteps lists the steps in their order (the values of --until).
func RotationSteps() []string { return []string{StepPrepare, StepSwitch, StepFinish} }

// stepReaches is the phase a step reaches.
func stepReaches(step string) string {
	return map[string]string{StepPrepare: renewstate.PhasePrepared, StepSwitch: renewstate.PhaseSwitched,
		StepFinish: renewstate.PhaseFinished}[step]
}

// rotationSteps decides the steps a run takes from phase: up to until,
// else the next one. A finished rotation is followed by a new one. finish
// (--finish) finishes the rotation under way; the finish step is taken
// only with it or with until finish. Without steps, msg says why, and
// refuse whether that is a refusal rather than nothing to do.
func rotationSteps(phase, until string, finish bool) (steps []string, msg string, refuse bool) {
	if finish && until == "" {
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
		target = slices.Index(RotationSteps(), until) + 1
	}
	switch {
	case target <= done:
		return nil, fmt.Sprintf("the CA rotation is %s already: nothing to do up to %s", phase, until), false
	case target == 3 && until != StepFinish:
		return nil, "the CA rotation is switched: every server serves certificates of the new CA while both CAs are trusted. " +
			"Once no client needs the old CA, finish it with renew --rotate-ca --finish", true
	}
	return RotationSteps()[done:target], "", false
}

// rotate runs the steps of a CA rotation that this run takes, each its own
// transaction; it stops at the first that fails (rolled back) and, after a
// signal, before starting the next.
func (r *runner) rotate(ctx context.Context) int {
	st, err := readRotation(r.stateDir)
	if err != nil {
		return r.done(ExitRolledBack, fmt.Sprintf("CA rotation refused: %v", err))
	}
	steps, msg, refuse := rotationSteps(phaseOf(st), r.opts.Until, r.opts.Finish)
	if len(steps) == 0 {
		if refuse {
			return r.done(ExitRolledBack, "CA rotation refused: "+msg)
		}
		return r.done(ExitOK, msg)
	}
	for i, step := range steps {
		if i > 0 && ctx.Err() != nil {
			return r.done(ExitRolledBack, fmt.Sprintf("stopped by a signal after the rotation reached %s: run again to go on", stepReaches(steps[i-1])))
		}
		if code := r.rotationStep(ctx, step); code != ExitOK {
			return code
		}
	}
	return ExitOK
}

// rotationStep plans, prints and runs one step.
func (r *runner) rotationStep(ctx context.Context, step string) int {
	st, err := readRotation(r.stateDir)
	if err != nil {
		return r.done(ExitRolledBack, fmt.Sprintf("CA rotation refused: %v", err))
	}
	now := r.opts.Now()
	p := r.planRotation(ctx, step, st, now)
	writeRotationPlan(r.out, r.cfg, p, r.stateDir)
	for _, w := range p.Warnings {
		r.log.Warn("CA rotation plan", "caveat", w)
	}
	r.checkpoint("planned")
	renewing := p.renewing()
	if p.Err != nil {
		r.markNotRenewed(renewing, p.Err)
		return r.record(ExitRolledBack, fmt.Sprintf("CA rotation %s refused: %v", step, p.Err),
			fmt.Sprintf("CA rotation %s refused (see above)", step))
	}
	id := txnID(now)
	files, entries, err := r.buildRotation(p, id)
	if err != nil {
		return r.notRenewed(renewing, fmt.Errorf("CA rotation %s: %w", step, err))
	}
	r.checkpoint("issued")
	if err := ctx.Err(); err != nil {
		return r.notRenewed(renewing, fmt.Errorf("interrupted before changing anything: %w", context.Cause(ctx)))
	}
	t := r.newTxn()
	rot := &JournalRotation{Phase: stepReaches(step), NewCACert: p.Paths.NewCert}
	if err := begin(t, id, now, true, entries, files, rot); err != nil {
		return r.notRenewed(renewing, err)
	}
	return r.complete(ctx, t)
}

// txnID names a transaction and its backup folder by its UTC start time.
func txnID(now time.Time) string { return now.UTC().Format("20060102T150405.000000000Z") }
