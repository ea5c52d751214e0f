package renew

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// rotationPlan is what one step of a CA rotation will do, decided before
// anything is written.
type rotationPlan struct {
	Step string
	// From is the phase before the step.
	From  string
	Now   time.Time
	Paths rotation.Paths
	// Old is the CA trusted before the rotation; New the rotation's new CA
	// (known once prepared).
	Old, New renewstate.CAInfo
	// NewCommonName is the common name prepare gives the new CA.
	NewCommonName string
	// Entries are the certificates switch reissues under the new CA.
	Entries *Plan
	// Blockers are what still needs the old CA (finish refuses then).
	Blockers []string
	Link     *linkCheck
	Services []config.Service
	Targets  []config.Target
	Warnings []string
	// Err stops the step before anything is written.
	Err error

	state   *renewstate.Rotation
	trusted []*x509.Certificate // ca.cert's certificates now
	next    *signer             // switch, finish: the new CA
}

// renewing is the entries the step reissues.
func (p *rotationPlan) renewing() []EntryPlan {
	if p.Entries == nil {
		return nil
	}
	return p.Entries.Renewing()
}

// refuse adds a reason to stop before anything is written.
func (p *rotationPlan) refuse(err error) { p.Err = errors.Join(p.Err, err) }

// planRotation inspects the CA files, the targets and the rotation state
// and decides what step does.
func (r *runner) planRotation(ctx context.Context, step string, st *renewstate.Rotation, now time.Time) *rotationPlan {
	p := &rotationPlan{Step: step, From: rotation.PhaseOf(st), Now: now, state: st, Services: r.cfg.Renew.Services, Targets: r.cfg.Targets}
	if step == rotation.StepPrepare {
		p.NewCommonName = r.cfg.Renew.CARotation.CommonName
		if p.NewCommonName == "" {
			p.NewCommonName = r.cfg.Renew.CA.CommonNameOrDefault() + " " + now.UTC().Format("2006-01-02")
		}
	}
	if r.cfg.CA.Cert == "" || r.cfg.CA.Key == "" {
		p.refuse(errors.New("a CA rotation needs ca.cert and ca.key"))
		return p
	}
	var err error
	if p.Paths, err = rotation.PathsOf(r.cfg, r.stateDir, st); err != nil {
		p.refuse(err)
		return p
	}
	if len(p.Services) == 0 {
		p.refuse(errors.New("renew.services is empty: no server would load the new trust or certificates"))
	}
	if p.Link, err = resolveLinkCheck(r.cfg); err != nil {
		p.refuse(err)
	} else if p.Link != nil {
		// A link that does not work yet would fail the step and its
		// rollback alike.
		if err := p.Link.run(ctx, r.cfg.Renew.VerifyTimeoutDuration(), r.log); err != nil {
			p.refuse(fmt.Errorf("before anything changed: %w", err))
		}
	}
	if p.trusted, err = rotation.TrustedCerts(p.Paths.CACert); err != nil {
		p.refuse(fmt.Errorf("ca.cert: %w", err))
		return p
	}
	if st != nil {
		p.Old, p.New = st.OldCA, st.NewCA
	}
	set := sources.New(r.cfg, sources.Options{}) // the files and servers as the step finds them
	defer set.Close()
	switch step {
	case rotation.StepPrepare:
		r.planPrepare(ctx, set, p)
	case rotation.StepSwitch:
		r.planSwitch(ctx, set, p)
	case rotation.StepFinish:
		r.planFinish(ctx, set, p)
	}
	return p
}

// planPrepare: the configured CA must be usable, the new CA's files must
// not exist, and every target must pass verify-full now.
func (r *runner) planPrepare(ctx context.Context, set *sources.Set, p *rotationPlan) {
	caPlan, old := loadCA(r.cfg, false, p.Now)
	if caPlan.Err != nil {
		p.refuse(caPlan.Err)
		return
	}
	p.Old = rotation.CAInfo(old.cert)
	for _, f := range []struct{ key, path string }{{"new_cert", p.Paths.NewCert}, {"new_key", p.Paths.NewKey}} {
		if rotation.Exists(f.path) {
			p.refuse(fmt.Errorf("renew.ca_rotation.%s %s exists: a new CA is never written over a file; move it away", f.key, f.path))
		}
	}
	if r.cfg.Renew.CARotation.CommonName == "" && p.NewCommonName == old.cert.Subject.CommonName {
		p.NewCommonName += p.Now.UTC().Format(" 15:04:05") // a second rotation on one day
	}
	if p.NewCommonName == old.cert.Subject.CommonName {
		p.refuse(fmt.Errorf("renew.ca_rotation.common_name %q is the old CA's: clients and servers tell the CAs apart by name", p.NewCommonName))
	}
	if len(p.trusted) > 1 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("ca.cert holds %d certificates: all of them stay trusted until finish", len(p.trusted)))
	}
	p.refuseFailingTargets(ctx, set)
}

// refuseFailingTargets refuses the step while a target fails verify-full:
// the step could verify nothing, nor its rollback.
func (p *rotationPlan) refuseFailingTargets(ctx context.Context, set *sources.Set) {
	for _, why := range failingTargets(ctx, set, p.Now) {
		p.refuse(fmt.Errorf("%s: a rotation step starts from targets that pass verify-full", why))
	}
}

// planSwitch: the rotation is prepared, the new CA is the one prepare
// made and is trusted by ca.cert; every entry is reissued under it.
func (r *runner) planSwitch(ctx context.Context, set *sources.Set, p *rotationPlan) {
	if !r.startsFrom(p, renewstate.PhasePrepared) {
		return
	}
	p.refuseFailingTargets(ctx, set)
	report := set.Inspector.Inspect(p.Now)
	ca := CAPlan{CertPath: p.Paths.NewCert, KeyPath: p.Paths.NewKey, Subject: p.next.cert.Subject.String(), NotAfter: p.next.cert.NotAfter}
	p.Entries = makePlan(planInput{cfg: r.cfg, report: report, ca: ca, now: p.Now, force: true, reload: true})
	for i := range p.Entries.Entries {
		p.Entries.Entries[i].Reasons = []string{"CA rotation: reissued under the new CA"}
	}
	if p.Entries.Err != nil {
		p.refuse(p.Entries.Err)
	}
	for _, e := range r.cfg.Certificates {
		if len(e.ExpectedNames) == 0 {
			p.refuse(fmt.Errorf("entry %s: expected_names is empty, so a new certificate would have no SANs", e.Name))
		}
	}
}

// planFinish: the rotation is switched, --finish was given, and nothing
// still needs the old CA.
func (r *runner) planFinish(ctx context.Context, set *sources.Set, p *rotationPlan) {
	if !r.startsFrom(p, renewstate.PhaseSwitched) {
		return
	}
	var old []*x509.Certificate
	for _, c := range p.trusted {
		if certs.Fingerprint(c) != p.New.SHA256 {
			old = append(old, c)
		}
	}
	p.Blockers = rotation.OldCAUsers(ctx, r.cfg, set, old, p.Now)
	if len(p.Blockers) > 0 {
		p.refuse(fmt.Errorf("%d things still need the old CA (listed above): switch them to the new CA first", len(p.Blockers)))
	}
}

// startsFrom checks that the rotation is in phase and loads its new CA;
// it reports whether the step can be planned further.
func (r *runner) startsFrom(p *rotationPlan, phase string) bool {
	if p.From != phase {
		p.refuse(fmt.Errorf("%s needs a %s rotation; the rotation is %s", p.Step, phase, p.From))
		return false
	}
	r.readNewCA(p)
	return p.next != nil
}

// readNewCA loads the rotation's new CA and checks that ca.cert trusts it.
func (r *runner) readNewCA(p *rotationPlan) {
	cert, key, err := rotation.ReadCA(p.Paths.NewCert, p.Paths.NewKey, p.New.SHA256, p.Now)
	if err != nil {
		p.refuse(err)
		return
	}
	if !rotation.Holds(p.trusted, p.New.SHA256) {
		p.refuse(fmt.Errorf("ca.cert %s does not hold the new CA any more (replaced by hand?): restore the bundle %s into it first",
			r.cfg.CA.Cert, p.Paths.Bundle))
		return
	}
	p.next = &signer{cert: cert, key: key}
}

// failingTargets probes every target and says which fail verify-full.
func failingTargets(ctx context.Context, set *sources.Set, now time.Time) []string {
	var out []string
	for _, t := range set.Prober.ProbeAll(ctx, set.Inspector.Inspect(now)) {
		switch {
		case t.Err != nil:
			out = append(out, fmt.Sprintf("target %s (%s): probe failed: %v", t.Target.Name, t.Target.Address, t.Err))
		case !t.Result.Verified():
			out = append(out, fmt.Sprintf("target %s (%s): verify-full fails: %v", t.Target.Name, t.Target.Address, t.Result.VerifyErr()))
		}
	}
	return out
}
