package renew

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/rules"
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
	// Unreloaded are renewed entries that no service reloads and no
	// target serves: nothing would load their new certificates, nor see
	// that they are not served.
	Unreloaded []string
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
	// rotation is the reissue of a CA rotation's switch, which has no
	// --no-reload: an entry nothing reloads is the caller's to judge.
	rotation bool
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
	th := rules.PolicyOf(in.cfg).Renewal()
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
			ep.Reasons, ep.Status = judge(er, in.now, th)
			ep.Renew = len(ep.Reasons) > 0
		}
		p.Entries = append(p.Entries, ep)
	}
	p.involve(in.cfg)
	if p.Reload && !in.rotation && len(p.Unreloaded) > 0 {
		p.Err = errors.Join(p.Err, unreloaded(p.Unreloaded))
	}
	if len(p.Renewing()) > 0 && in.ca.Err != nil {
		p.Err = errors.Join(p.Err, in.ca.Err)
	}
	p.Warnings = append(p.Warnings, in.ca.Warnings...)
	return p
}

// judge returns why an entry needs renewal, or its status when it does
// not: the entry's problems whose rule says renew, judged with renew_before
// as the warning threshold.
func judge(er *inspect.EntryReport, now time.Time, th rules.Policy) (reasons []string, status string) {
	seen := map[string]bool{}
	for _, f := range rules.EntryFindings(er, now, th, true) {
		rule, ok := rules.Lookup(f.Code)
		if !f.Problem() || !ok || !rule.Renew {
			continue
		}
		reason := fmt.Sprintf("%s: %s", f.Code, f.Detail)
		if f.Check == rules.CheckVerify && (f.Code == rules.Expired || f.Code == rules.NotYetValid) {
			continue // the expiry row says it already
		}
		if !seen[reason] {
			seen[reason] = true
			reasons = append(reasons, reason)
		}
	}
	cf := er.CertFile()
	if cf == nil || cf.Err != nil || len(cf.Certificates) == 0 {
		return reasons, ""
	}
	leaf := cf.Certificates[0]
	return reasons, fmt.Sprintf("valid until %s (in %s)", rotation.Day(leaf.NotAfter), roundDays(leaf.NotAfter.Sub(now)))
}

// involve picks the services and targets of the renewed entries, refuses
// a renewed entry that a target serves but no service reloads, lists the
// ones that no service reloads and no target serves (Unreloaded), and
// warns of those reloaded that no target verifies.
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
	served := map[string]bool{}
	for _, t := range cfg.Targets {
		if t.Certificate == "" || !renewed[t.Certificate] {
			continue
		}
		served[t.Certificate] = true
		p.Targets = append(p.Targets, t)
		if p.Reload && !reloaded[t.Certificate] {
			p.Err = errors.Join(p.Err, fmt.Errorf("entry %s is served by target %s but no renew.services entry reloads it: add one, or run with --no-reload",
				t.Certificate, t.Name))
		}
	}
	for _, e := range p.Renewing() {
		switch name := e.Entry.Name; {
		case !reloaded[name] && !served[name]:
			p.Unreloaded = append(p.Unreloaded, name)
		case p.Reload && !served[name]:
			p.Warnings = append(p.Warnings, fmt.Sprintf("entry %s: no target serves it (a targets entry with certificate: %s), so its reload is not verified", name, name))
		}
	}
	if !p.Reload {
		p.Targets = nil
	}
}

// unreloaded refuses entries that no service reloads and no target
// serves, and says how to fix it.
func unreloaded(names []string) error {
	what, it := "entry "+names[0], "it"
	if len(names) > 1 {
		what, it = "entries "+strings.Join(names, ", "), "them"
	}
	return fmt.Errorf("%[1]s: no renew.services entry reloads %[2]s and no target serves %[2]s, so nothing would load a new "+
		"certificate and its server would keep serving the old one: list %[2]s under certificates of a renew.services entry "+
		"(and as certificate of a targets entry, to verify %[2]s), or run with --no-reload to write the files alone", what, it)
}

// roundDays renders a duration in days (or hours below two days).
func roundDays(d time.Duration) string {
	if d < 48*time.Hour {
		return model.Duration(d.Round(time.Hour)).String()
	}
	return model.Duration(d.Round(24 * time.Hour)).String()
}
