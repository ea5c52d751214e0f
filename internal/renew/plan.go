package renew

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/common/model"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
)

// Plan is what a renew run will do, computed before anything is written.
type Plan struct {
	Now time.Time
	CA  CAPlan
	// Entries in configuration order.
	Entries []EntryPlan
	// Services that install and reload renewed entries.
	Services []config.Service
	// Targets whose served certificate is verified afterwards.
	Targets []config.Target
	// Reload is false with --no-reload.
	Reload bool
	// Warnings do not stop the run.
	Warnings []string
	// Err stops the run before anything is written (only when something
	// needs renewal).
	Err error
}

// EntryPlan is the decision for one certificate entry.
type EntryPlan struct {
	Entry config.Certificate
	// Renew is true when the entry gets new files.
	Renew bool
	// Reasons say why it is renewed; Status says why not.
	Reasons []string
	Status  string
	// Skipped is set for entries left out by --only.
	Skipped bool
	// OldSerial is the serial in the certificate file now, if readable.
	OldSerial string
}

// Renewing returns the entries that get new files.
func (p *Plan) Renewing() []EntryPlan {
	var out []EntryPlan
	for _, e := range p.Entries {
		if e.Renew {
			out = append(out, e)
		}
	}
	return out
}

// planInput is what a plan is computed from.
type planInput struct {
	cfg     *config.Config
	report  *inspect.Report
	ca      CAPlan
	now     time.Time
	force   bool
	only    []string
	reload  bool
	created bool // the CA is created by this run
}

// makePlan decides which entries to renew and which services and targets
// are involved.
func makePlan(in planInput) *Plan {
	p := &Plan{Now: in.now, CA: in.ca, Reload: in.reload}
	for _, name := range in.only {
		if _, ok := in.cfg.CertificateByName(name); !ok {
			p.Err = errors.Join(p.Err, fmt.Errorf("--only %s: no certificates entry has that name", name))
		}
	}
	before := in.cfg.Renew.RenewBeforeDuration()
	for _, e := range in.cfg.Certificates {
		ep := EntryPlan{Entry: e}
		er := in.report.Entry(e.Name)
		if cf := er.CertFile(); cf != nil && cf.Err == nil && len(cf.Certificates) > 0 {
			ep.OldSerial = cf.Certificates[0].Serial
		}
		switch {
		case len(in.only) > 0 && !slices.Contains(in.only, e.Name):
			ep.Skipped, ep.Status = true, "not selected (--only)"
		case in.force:
			ep.Renew, ep.Reasons = true, []string{"forced (--force)"}
		case in.created:
			ep.Renew, ep.Reasons = true, []string{"the CA is new"}
		default:
			ep.Reasons, ep.Status = judge(er, in.now, before)
			ep.Renew = len(ep.Reasons) > 0
		}
		p.Entries = append(p.Entries, ep)
	}
	p.involve(in.cfg)
	if len(p.Renewing()) > 0 && in.ca.Err != nil {
		p.Err = errors.Join(p.Err, in.ca.Err)
	}
	p.Warnings = append(p.Warnings, in.ca.Warnings...)
	return p
}

// judge returns why an entry needs renewal, or its status when it does not.
func judge(er *inspect.EntryReport, now time.Time, before time.Duration) (reasons []string, status string) {
	cf := er.CertFile()
	if cf == nil || cf.Err != nil || len(cf.Certificates) == 0 {
		why := "no certificate"
		if cf != nil && cf.Err != nil {
			why = cf.Err.Error()
		}
		return []string{"certificate file unusable: " + why}, ""
	}
	leaf := cf.Certificates[0]
	left := leaf.NotAfter.Sub(now)
	switch {
	case left <= 0:
		reasons = append(reasons, fmt.Sprintf("expired on %s", day(leaf.NotAfter)))
	case left <= before:
		reasons = append(reasons, fmt.Sprintf("expires on %s, in %s (renew_before %s)",
			day(leaf.NotAfter), roundDays(left), model.Duration(before)))
	}
	for _, n := range er.Names {
		switch {
		case n.CommonNameOnly:
			reasons = append(reasons, fmt.Sprintf("covers expected name %s only through its common name (no SAN)", n.Name))
		case !n.Covered:
			reasons = append(reasons, fmt.Sprintf("does not cover expected name %s", n.Name))
		}
	}
	if er.Verify != nil && !er.Verify.OK() && er.Verify.Reason != certs.VerifyExpired {
		reasons = append(reasons, "does not verify against the CA: "+er.Verify.Detail())
	}
	for _, fr := range er.Files[1:] {
		if fr.Err != nil {
			reasons = append(reasons, fmt.Sprintf("%s file %s unusable: %v", fr.Role, fr.Path, fr.Err))
		}
	}
	for _, km := range er.KeyMatches {
		if !km.OK && km.Err != nil && !errors.Is(km.Err, certs.ErrKeyEncrypted) && !errors.Is(km.Err, certs.ErrKeyUnsupported) &&
			fileReadable(er, km.Role) {
			reasons = append(reasons, fmt.Sprintf("%s %s does not match the certificate: %v", km.Role, km.Path, km.Err))
		}
	}
	return reasons, fmt.Sprintf("valid until %s (in %s)", day(leaf.NotAfter), roundDays(left))
}

// fileReadable tells whether the entry's file of that role was read.
func fileReadable(er *inspect.EntryReport, role inspect.Role) bool {
	for _, fr := range er.Files {
		if fr.Role == role {
			return fr.Err == nil
		}
	}
	return false
}

// involve picks the services and targets of the renewed entries and
// refuses a renewed entry that a target serves but no service reloads.
func (p *Plan) involve(cfg *config.Config) {
	renewed := map[string]bool{}
	for _, e := range p.Renewing() {
		renewed[e.Entry.Name] = true
	}
	reloaded := map[string]bool{}
	for _, s := range cfg.Renew.Services {
		use := false
		for _, n := range s.Certificates {
			use = use || renewed[n]
			reloaded[n] = true
		}
		if use {
			p.Services = append(p.Services, s)
		}
	}
	for _, t := range cfg.Targets {
		if t.Certificate == "" || !renewed[t.Certificate] {
			continue
		}
		p.Targets = append(p.Targets, t)
		if p.Reload && !reloaded[t.Certificate] {
			p.Err = errors.Join(p.Err, fmt.Errorf("entry %s is served by target %s but no renew.services entry reloads it: add one, or run with --no-reload",
				t.Certificate, t.Name))
		}
	}
	if !p.Reload {
		p.Targets = nil
	}
}

// day formats a time as a UTC date and time, minute precision.
func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// roundDays renders a duration in days (or hours below two days).
func roundDays(d time.Duration) string {
	if d < 48*time.Hour {
		return model.Duration(d.Round(time.Hour)).String()
	}
	return model.Duration(d.Round(24 * time.Hour)).String()
}
