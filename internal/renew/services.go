package renew

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/magflow/pgtls_exporter/internal/sources"
)

// reloadAndVerify runs the install and reload steps of every service of
// the journal's entries (every service for a CA rotation), then waits
// until the targets serve the new certificates, and for a CA rotation
// until PgBouncer reaches PostgreSQL over a new connection.
func (r *runner) reloadAndVerify(ctx context.Context, j *Journal) error {
	if r.opts.BeforeReload != nil {
		if err := r.opts.BeforeReload(ctx); err != nil {
			return err
		}
	}
	if err := r.reloadServices(ctx, j); err != nil {
		return err
	}
	set := sources.New(r.cfg, sources.Options{Workers: 1})
	defer set.Close()
	exps, err := r.expectationsOf(set, j, false)
	if err != nil {
		return err
	}
	if err := waitServed(ctx, set, exps, r.cfg.Renew.VerifyTimeoutDuration(), r.log); err != nil {
		if j.Rotation != nil {
			return fmt.Errorf("the servers do not serve what the CA rotation's %s phase needs: %w", j.Rotation.Phase, err)
		}
		return fmt.Errorf("the new certificates are not served: %w", err)
	}
	r.checkpoint("verified")
	return r.checkLink(ctx, j)
}

// reloadServices runs the install and reload steps of every service that
// reads one of the journal's entries, in configuration order; for a CA
// rotation every service, since each reads the CA files.
func (r *runner) reloadServices(ctx context.Context, j *Journal) error {
	names := j.entryNames()
	for _, s := range r.cfg.Renew.Services {
		// Every server reads the CA files a rotation changes.
		if j.Rotation == nil && !slices.ContainsFunc(s.Certificates, func(n string) bool { return slices.Contains(names, n) }) {
			continue
		}
		acts, err := serviceActions(r.cfg, s)
		if err != nil {
			return err
		}
		err = runActions(ctx, acts, s.TimeoutDuration(), func(a action, took time.Duration) {
			r.log.Info("service step done", "service", a.service, "step", a.what, "took", took.Round(time.Millisecond))
		})
		if err != nil {
			return err
		}
		r.checkpoint("reloaded " + s.Name)
	}
	return nil
}

// reloadOld reloads the services after a restore and confirms the targets
// serve the old certificates again. A failed reload step is forgiven when
// the targets prove it: a server that never loaded the new files still
// serves the old ones. Without targets to prove it, it is not.
func (r *runner) reloadOld(ctx context.Context, j *Journal) error {
	reloadErr := r.reloadServices(ctx, j)
	set := sources.New(r.cfg, sources.Options{Workers: 1})
	defer set.Close()
	exps, err := r.expectationsOf(set, j, true)
	if err != nil {
		return err
	}
	if reloadErr != nil && len(exps) == 0 {
		return fmt.Errorf("reload after restoring: %w (and no target can confirm the old certificates are served)", reloadErr)
	}
	if err := waitServed(ctx, set, exps, r.cfg.Renew.VerifyTimeoutDuration(), r.log); err != nil {
		if reloadErr != nil {
			err = fmt.Errorf("%w; reload after restoring: %w", err, reloadErr)
		}
		return fmt.Errorf("the old certificates are not served again: %w", err)
	}
	if reloadErr != nil {
		r.log.Warn("a reload after restoring failed, yet the targets serve the old certificates", "err", reloadErr)
	}
	r.checkpoint("verified-old")
	return r.checkLink(ctx, j)
}
