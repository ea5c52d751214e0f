package rotation

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// Plan is what one step of a CA rotation will do, decided before
// anything is written.
type Plan struct {
	Step string
	// From is the phase before the step.
	From  string
	Now   time.Time
	Paths Paths
	// Old is the CA trusted before the rotation; New the rotation's new CA
	// (known once prepared).
	Old, New renewstate.CAInfo
	// NewCommonName is the common name prepare gives the new CA.
	NewCommonName string
	// Blockers are what still needs the old CA (finish refuses then).
	Blockers []string
	Services []config.Service
	Targets  []config.Target
	Warnings []string
	// Err stops the step before anything is written.
	Err error
	// State is the rotation state the step starts from, nil before the
	// first rotation.
	State *renewstate.Rotation
	// Trusted are ca.cert's certificates now.
	Trusted []*x509.Certificate
	// NextCert and NextKey are the new CA (switch, finish), read and
	// checked; nil when the step is refused before.
	NextCert *x509.Certificate
	NextKey  crypto.Signer
	// Report is what switch finds in the files, for the reissue.
	Report *inspect.Report

	cfg *config.Config
}

// Input is what a step is planned from.
type Input struct {
	Config   *config.Config
	StateDir string
	Step     string
	// State is the rotation state (nil before the first rotation).
	State *renewstate.Rotation
	Now   time.Time
	// ConfiguredCA reads the configured CA, which prepare rotates away
	// from; an error refuses the step.
	ConfiguredCA func() (*x509.Certificate, error)
	// Preflight runs once the paths are known and before the CAs are
	// read (the link check); an error refuses the step.
	Preflight func(ctx context.Context) error
}

// Refuse adds a reason to stop before anything is written.
func (p *Plan) Refuse(err error) { p.Err = errors.Join(p.Err, err) }

// New inspects the CA files, the targets and the rotation state and
// decides what a step does.
func New(ctx context.Context, in Input) *Plan {
	cfg := in.Config
	p := &Plan{Step: in.Step, From: PhaseOf(in.State), Now: in.Now, State: in.State, Services: cfg.Renew.Services, Targets: cfg.Targets, cfg: cfg}
	if in.Step == StepPrepare {
		p.NewCommonName = cfg.Renew.CARotation.CommonName
		if p.NewCommonName == "" {
			p.NewCommonName = cfg.Renew.CA.CommonNameOrDefault() + " " + in.Now.UTC().Format("2006-01-02")
		}
	}
	if cfg.CA.Cert == "" || cfg.CA.Key == "" {
		p.Refuse(errors.New("a CA rotation needs ca.cert and ca.key"))
		return p
	}
	var err error
	if p.Paths, err = PathsOf(cfg, in.StateDir, in.State); err != nil {
		p.Refuse(err)
		return p
	}
	if len(p.Services) == 0 {
		p.Refuse(errors.New("renew.services is empty: no server would load the new trust or certificates"))
	}
	if in.Preflight != nil {
		if err := in.Preflight(ctx); err != nil {
			p.Refuse(err)
		}
	}
	if p.Trusted, err = TrustedCerts(p.Paths.CACert); err != nil {
		p.Refuse(fmt.Errorf("ca.cert: %w", err))
		return p
	}
	if in.State != nil {
		p.Old, p.New = in.State.OldCA, in.State.NewCA
	}
	set := sources.New(cfg, sources.Options{}) // the files and servers as the step finds them
	defer set.Close()
	switch in.Step {
	case StepPrepare:
		p.planPrepare(ctx, set, in.ConfiguredCA)
	case StepSwitch:
		p.planSwitch(ctx, set)
	case StepFinish:
		p.planFinish(ctx, set)
	}
	return p
}

// planPrepare: the configured CA must be usable, the new CA's files must
// not exist, and every target must pass verify-full now.
func (p *Plan) planPrepare(ctx context.Context, set *sources.Set, configuredCA func() (*x509.Certificate, error)) {
	old, err := configuredCA()
	if err != nil {
		p.Refuse(err)
		return
	}
	p.Old = caInfo(old)
	for _, f := range []struct{ key, path string }{{"new_cert", p.Paths.NewCert}, {"new_key", p.Paths.NewKey}} {
		if exists(f.path) {
			p.Refuse(fmt.Errorf("renew.ca_rotation.%s %s exists: a new CA is never written over a file; move it away", f.key, f.path))
		}
	}
	if p.cfg.Renew.CARotation.CommonName == "" && p.NewCommonName == old.Subject.CommonName {
		p.NewCommonName += p.Now.UTC().Format(" 15:04:05") // a second rotation on one day
	}
	if p.NewCommonName == old.Subject.CommonName {
		p.Refuse(fmt.Errorf("renew.ca_rotation.common_name %q is the old CA's: clients and servers tell the CAs apart by name", p.NewCommonName))
	}
	if len(p.Trusted) > 1 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("ca.cert holds %d certificates: all of them stay trusted until finish", len(p.Trusted)))
	}
	p.refuseFailingTargets(ctx, set)
}

// refuseFailingTargets refuses the step while a target fails verify-full:
// the step could verify nothing, nor its rollback.
func (p *Plan) refuseFailingTargets(ctx context.Context, set *sources.Set) {
	for _, why := range failingTargets(ctx, set, p.Now) {
		p.Refuse(fmt.Errorf("%s: a rotation step starts from targets that pass verify-full", why))
	}
}

// planSwitch: the rotation is prepared, the new CA is the one prepare
// made and is trusted by ca.cert. The caller plans the reissue of every
// entry under it from Report.
func (p *Plan) planSwitch(ctx context.Context, set *sources.Set) {
	if !p.startsFrom(renewstate.PhasePrepared) {
		return
	}
	p.refuseFailingTargets(ctx, set)
	p.Report = set.Inspector.Inspect(p.Now)
}

// planFinish: the rotation is switched, --finish was given, and nothing
// still needs the old CA.
func (p *Plan) planFinish(ctx context.Context, set *sources.Set) {
	if !p.startsFrom(renewstate.PhaseSwitched) {
		return
	}
	var old []*x509.Certificate
	for _, c := range p.Trusted {
		if certs.Fingerprint(c) != p.New.SHA256 {
			old = append(old, c)
		}
	}
	p.Blockers = OldCAUsers(ctx, p.cfg, set, old, p.Now)
	if len(p.Blockers) > 0 {
		p.Refuse(fmt.Errorf("%d things still need the old CA (listed above): switch them to the new CA first", len(p.Blockers)))
	}
}

// startsFrom checks that the rotation is in phase and loads its new CA;
// it reports whether the step can be planned further.
func (p *Plan) startsFrom(phase string) bool {
	if p.From != phase {
		p.Refuse(fmt.Errorf("%s needs a %s rotation; the rotation is %s", p.Step, phase, p.From))
		return false
	}
	p.readNewCA()
	return p.NextCert != nil
}

// readNewCA loads the rotation's new CA and checks that ca.cert trusts it.
func (p *Plan) readNewCA() {
	cert, key, err := ReadCA(p.Paths.NewCert, p.Paths.NewKey, p.New.SHA256, p.Now)
	if err != nil {
		p.Refuse(err)
		return
	}
	if !holds(p.Trusted, p.New.SHA256) {
		p.Refuse(fmt.Errorf("ca.cert %s does not hold the new CA any more (replaced by hand?): restore the bundle %s into it first",
			p.cfg.CA.Cert, p.Paths.Bundle))
		return
	}
	p.NextCert, p.NextKey = cert, key
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
