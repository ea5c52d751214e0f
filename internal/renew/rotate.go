package renew

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
)

// rotate runs the steps of a CA rotation that this run takes, each its own
// transaction; it stops at the first that fails (rolled back) and, after a
// signal, before starting the next.
func (r *runner) rotate(ctx context.Context) int {
	st, err := rotation.Read(r.stateDir)
	if err != nil {
		return r.refuse(nil, err, err.Error())
	}
	steps, msg, refuse := rotation.StepsFrom(rotation.PhaseOf(st), r.opts.Until, r.opts.Finish)
	if len(steps) == 0 {
		if refuse {
			return r.refuse(nil, errors.New(msg), msg)
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
		return r.refuse(nil, err, err.Error())
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
		return r.refuse(renewing, fmt.Errorf("CA rotation %s: %w", step, p.Err),
			fmt.Sprintf("the CA rotation's %s step was refused (see above)", step))
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

// rotationDryRun prints the plan of the rotation steps a run would take
// and stops: the first step's in full, the later ones (which depend on
// what the first creates) in outline.
func (r *runner) rotationDryRun(ctx context.Context) int {
	if j, err := loadJournal(r.stateDir); err != nil || j != nil {
		fmt.Fprintf(r.out, "An interrupted renew is pending (%s): the next run finishes or undoes it first.\n", journalPath(r.stateDir))
	}
	st, err := rotation.Read(r.stateDir)
	if err != nil {
		fmt.Fprintf(r.out, "renew: CA rotation refused: %v\n", err)
		return ExitRefused
	}
	steps, msg, refuse := rotation.StepsFrom(rotation.PhaseOf(st), r.opts.Until, r.opts.Finish)
	if len(steps) == 0 {
		fmt.Fprintf(r.out, "CA rotation: %s\nDry run: nothing was written.\n", msg)
		if refuse {
			return ExitRefused
		}
		return ExitOK
	}
	p := r.planRotation(ctx, steps[0], st, r.opts.Now())
	writeRotationPlan(r.out, r.cfg, p, r.stateDir)
	for _, step := range steps[1:] {
		fmt.Fprintf(r.out, "Then, in this run, the %s step (%s -> %s), planned once the step before it is done.\n",
			step, rotation.PhaseBefore(step), rotation.Reaches(step))
	}
	fmt.Fprintln(r.out, "Dry run: nothing was written.")
	if p.Err != nil {
		return ExitRefused
	}
	return ExitOK
}

// buildRotation makes what a planned step installs, in memory: switch
// issues every entry under the new CA, and the rotation lays out the CA
// files and its state (prepare creates the new CA). id names the
// transaction, whose backup folder keeps the old CA key after finish.
func (r *runner) buildRotation(p *rotationPlan, id string) ([]newFile, []issued, error) {
	var entries []issued
	if p.Step == rotation.StepSwitch {
		var err error
		if entries, err = issueEntries(r.cfg, p.Entries, p.next(), p.Now); err != nil {
			return nil, nil, err
		}
		r.logIssued(entries)
	}
	caFiles, err := p.Files(backupDir(r.stateDir, id))
	if err != nil {
		return nil, nil, err
	}
	if p.Step == rotation.StepPrepare {
		r.log.Info("created the new CA (in memory, installed by this step)", "subject", p.New.Subject, "not_after", p.New.NotAfter,
			"cert", p.Paths.NewCert, "key", p.Paths.NewKey)
	}
	files := make([]newFile, 0, len(caFiles))
	for _, f := range caFiles {
		files = append(files, caFile(f))
	}
	return files, entries, nil
}

// caFile is a file of the rotation as the transaction installs it: a
// file that keeps its owner (and mode) takes them from the one it
// replaces, so servers that read it keep reading it.
func caFile(f rotation.File) newFile {
	nf := newFile{entry: config.CAName, role: f.Role, path: f.Path, data: f.Data, mode: f.Mode, owner: atomicfile.Unchanged(),
		noReplace: f.NoReplace, remove: f.Remove}
	if f.SameOwner {
		nf.owner = fileOwner(f.Path)
	}
	if fi, err := os.Stat(f.Path); err == nil && f.SameMode {
		nf.mode = fi.Mode().Perm()
	}
	return nf
}
