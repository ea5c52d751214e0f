package renew

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/regfile"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// expectationsOf lists what the targets must serve once a transaction's
// files are in place (or, with old, put back).
//
// A CA rotation's prepare and finish change no certificate: every target
// keeps serving its file's certificate and, forward, must pass verify-full
// with the trust now in ca.cert (both CAs, then the new one alone). Its
// switch is a renewal whose new certificates must moreover chain to the
// new CA alone.
func (r *runner) expectationsOf(set *sources.Set, j *Journal, old bool) ([]expectation, error) {
	if j.Rotation == nil || j.Rotation.Phase == renewstate.PhaseSwitched {
		exps := expectations(r.cfg, j, old)
		if j.Rotation == nil || old {
			return exps, nil
		}
		data, err := regfile.Read(j.Rotation.NewCACert, regfile.MaxSmall)
		if err != nil {
			return nil, fmt.Errorf("read the new CA: %w", err)
		}
		ca, err := issue.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("the new CA %s: %w", j.Rotation.NewCACert, err)
		}
		onlyCA := certs.NewAuthority([]*x509.Certificate{ca}, r.cfg.SecurityLevel())
		for i := range exps {
			exps[i].onlyCA = onlyCA
		}
		return exps, nil
	}
	report := set.Inspector.Inspect(time.Now())
	var judge func([][]byte) string
	if !old {
		st, err := rotation.Read(r.stateDir)
		if err != nil || st == nil {
			return nil, fmt.Errorf("the CA rotation's state: %v", err)
		}
		judge = rotation.ClientCAJudge(j.Rotation.Phase, st)
	}
	var out []expectation
	for _, t := range r.cfg.Targets {
		serial := ""
		if e := report.Entry(t.Certificate); e != nil {
			if cf := e.CertFile(); cf != nil && cf.Err == nil && len(cf.Certificates) > 0 {
				serial = cf.Certificates[0].Serial
			}
		}
		if old && serial == "" {
			continue // nothing to confirm after a rollback
		}
		out = append(out, expectation{target: t, serial: serial, verifyFull: !old, clientCAs: judge})
	}
	return out, nil
}

// checkLink runs a CA rotation's link check after a phase's reloads (and
// after its rollback's): PgBouncer must still reach PostgreSQL.
func (r *runner) checkLink(ctx context.Context, j *Journal) error {
	if j.Rotation == nil {
		return nil
	}
	lc, err := resolveLinkCheck(r.cfg)
	if err != nil || lc == nil {
		return err
	}
	if err := lc.run(ctx, r.cfg.Renew.VerifyTimeoutDuration(), r.log); err != nil {
		return err
	}
	r.checkpoint("link-checked")
	return nil
}

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
		return ExitRolledBack
	}
	steps, msg, refuse := rotation.StepsFrom(rotation.PhaseOf(st), r.opts.Until, r.opts.Finish)
	if len(steps) == 0 {
		fmt.Fprintf(r.out, "CA rotation: %s\nDry run: nothing was written.\n", msg)
		if refuse {
			return ExitRolledBack
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
		return ExitRolledBack
	}
	return ExitOK
}
