package renew

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// rotationPlan is one step of a CA rotation as a run takes it: the
// rotation's plan, the reissue of switch and the link check.
type rotationPlan struct {
	*rotation.Plan
	// Entries are the certificates switch reissues under the new CA.
	Entries *Plan
	Link    *linkCheck
}

// renewing is the entries the step reissues.
func (p *rotationPlan) renewing() []EntryPlan {
	if p.Entries == nil {
		return nil
	}
	return p.Entries.Renewing()
}

// next is the new CA as a signer (switch, finish).
func (p *rotationPlan) next() *signer { return &signer{cert: p.NextCert, key: p.NextKey} }

// planRotation decides what step does: the rotation plans it, with the
// configured CA and the link check of this run; switch plans the reissue
// of every entry under the new CA.
func (r *runner) planRotation(ctx context.Context, step string, st *renewstate.Rotation, now time.Time) *rotationPlan {
	p := &rotationPlan{}
	p.Plan = rotation.New(ctx, rotation.Input{Config: r.cfg, StateDir: r.stateDir, Step: step, State: st, Now: now,
		ConfiguredCA: func() (*x509.Certificate, error) {
			caPlan, ca := loadCA(r.cfg, false, now)
			if caPlan.Err != nil {
				return nil, caPlan.Err
			}
			return ca.cert, nil
		},
		Preflight: func(ctx context.Context) error {
			var err error
			if p.Link, err = resolveLinkCheck(r.cfg); err != nil || p.Link == nil {
				return err
			}
			// A link that does not work yet would fail the step and its
			// rollback alike.
			if err := p.Link.run(ctx, r.cfg.Renew.VerifyTimeoutDuration(), r.log); err != nil {
				return fmt.Errorf("before anything changed: %w", err)
			}
			return nil
		}})
	if step == rotation.StepSwitch && p.NextCert != nil {
		r.planReissue(p)
	}
	return p
}

// planReissue plans switch's reissue of every entry under the new CA.
func (r *runner) planReissue(p *rotationPlan) {
	ca := CAPlan{CertPath: p.Paths.NewCert, KeyPath: p.Paths.NewKey, Subject: p.NextCert.Subject.String(), NotAfter: p.NextCert.NotAfter}
	p.Entries = makePlan(planInput{cfg: r.cfg, report: p.Report, ca: ca, now: p.Now, force: true, reload: true, rotation: true})
	for i := range p.Entries.Entries {
		p.Entries.Entries[i].Reasons = []string{"CA rotation: reissued under the new CA"}
	}
	if p.Entries.Err != nil {
		p.Refuse(p.Entries.Err)
	}
	for _, name := range p.Entries.Unreloaded {
		p.Warnings = append(p.Warnings, fmt.Sprintf("entry %s: no renew.services entry reloads it and no target serves it: "+
			"a server that serves it keeps its certificate of the old CA until it is reloaded, and finish cannot see that", name))
	}
	for _, e := range r.cfg.Certificates {
		if len(e.ExpectedNames) == 0 {
			p.Refuse(fmt.Errorf("entry %s: expected_names is empty, so a new certificate would have no SANs", e.Name))
		}
	}
}

// rotationSigner is the CA plain renew signs with while a rotation is
// switched: the new one, since the servers serve its certificates.
func rotationSigner(st *renewstate.Rotation, now time.Time) (CAPlan, *signer) {
	p := CAPlan{CertPath: st.NewCert, KeyPath: st.NewKey, Subject: st.NewCA.Subject, NotAfter: st.NewCA.NotAfter,
		Warnings: []string{"a CA rotation is switched: certificates are signed by the new CA until it finishes"}}
	cert, key, err := rotation.ReadCA(st.NewCert, st.NewKey, st.NewCA.SHA256, now)
	if err != nil {
		p.Err = err
		return p, nil
	}
	return p, &signer{cert: cert, key: key}
}

// writeRotationPlan prints a CA rotation step's plan: the rotation's
// lines, with switch's reissue and the transaction's steps between them.
func writeRotationPlan(w io.Writer, cfg *config.Config, p *rotationPlan, stateDir string) {
	pr := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	rotation.WriteHead(w, cfg, p.Plan, stateDir)
	for _, e := range p.renewing() {
		pr("  reissue  %s: %s", e.Entry.Name, joinReasons(e.Reasons))
		writeFiles(pr, cfg, e.Entry)
	}
	rotation.WriteState(w, p.Plan)
	writeRotationSteps(pr, cfg, p, stateDir)
	rotation.WriteNext(w, p.Plan, func(err error) string { return refusal(&Plan{Err: err}) })
}

// writeRotationSteps lists the transaction of a step.
func writeRotationSteps(pr func(string, ...any), cfg *config.Config, p *rotationPlan, stateDir string) {
	step := stepWriter(pr)
	pr("  Steps:")
	writeTxnSteps(step, stateDir)
	writeServiceSteps(step, cfg, p.Services)
	wait := cfg.WrittenDuration("renew.verify_timeout", cfg.Renew.VerifyTimeoutDuration())
	for _, t := range p.Targets {
		switch {
		case p.Step == rotation.StepSwitch && t.Certificate != "":
			step("verify target %s (%s, name %s) serves the new serial, passes verify-full and chains to the new CA alone (up to %s)",
				t.Name, t.Address, targetName(t), wait)
		case p.Step == rotation.StepSwitch:
		default:
			step("verify target %s (%s, name %s) serves the certificate of its file and passes verify-full with %s (up to %s)",
				t.Name, t.Address, targetName(t), map[string]string{rotation.StepPrepare: "both CAs", rotation.StepFinish: "the new CA alone"}[p.Step], wait)
		}
	}
	if p.Link != nil {
		step("link check: %s (up to %s)", p.Link.describe(), wait)
	}
	writeRollbackStep(step, fmt.Sprintf("restore the backup (the rotation stays %s)", p.From), len(p.Services) > 0, len(p.Targets) > 0, p.Link != nil)
}

// rotationSummary is how a completed step is reported.
func rotationSummary(j *Journal) string {
	switch j.Rotation.Phase {
	case renewstate.PhasePrepared:
		return "CA rotation prepared: servers and clients that read ca.cert trust both CAs"
	case renewstate.PhaseSwitched:
		return fmt.Sprintf("CA rotation switched: %s reissued under the new CA", strings.Join(j.entryNames(), ", "))
	}
	return "CA rotation finished: the new CA alone is trusted"
}
