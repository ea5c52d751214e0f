package renew

import (
	"context"
	"fmt"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
)

// rotate runs the steps of a CA rotation that this run takes, each its own
// transaction; it stops at the first that fails (rolled back) and, after a
// signal, before starting the next.
func (r *runner) rotate(ctx context.Context) int {
	st, err := rotation.Read(r.stateDir)
	if err != nil {
		return r.done(ExitRolledBack, fmt.Sprintf("CA rotation refused: %v", err))
	}
	steps, msg, refuse := rotation.StepsFrom(rotation.PhaseOf(st), r.opts.Until, r.opts.Finish)
	if len(steps) == 0 {
		if refuse {
			return r.done(ExitRolledBack, "CA rotation refused: "+msg)
		}
		return r.done(ExitOK, msg)
	}
	for i, step := range steps {
		if i > 0 && ctx.Err() != nil {
			return r.done(ExitRolledBack, fmt.Sprintf("stopped by a signal after the rotation reached %s: run again to go on", rotation.Reaches(steps[i-1])))
		}
		if code := r.rotationStep(ctx, step); code != ExitOK {
			return code
		}
	}
	return ExitOK
}

// rotationStep plans, prints and runs one step.
func (r *runner) rotationStep(ctx context.Context, step string) int {
	st, err := rotation.Read(r.stateDir)
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
	rot := &JournalRotation{Phase: rotation.Reaches(step), NewCACert: p.Paths.NewCert}
	if err := begin(t, id, now, true, entries, files, rot); err != nil {
		return r.notRenewed(renewing, err)
	}
	return r.complete(ctx, t)
}

// txnID names a transaction and its backup folder by its UTC start time.
func txnID(now time.Time) string { return now.UTC().Format("20060102T150405.000000000Z") }
