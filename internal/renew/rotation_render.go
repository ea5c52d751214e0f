package renew

import (
	"fmt"
	"io"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// writeRotationPlan prints a CA rotation step's plan.
func writeRotationPlan(w io.Writer, cfg *config.Config, p *rotationPlan, stateDir string) {
	pr := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	pr("CA rotation plan: %s (%s, state in %s)", p.Step, p.Now.UTC().Format("2006-01-02 15:04:05 UTC"), stateDir)
	pr("  phase    %s -> %s", p.From, rotation.Reaches(p.Step))
	paths := p.Paths
	rc := cfg.Renew.CA
	switch p.Step {
	case rotation.StepPrepare:
		if p.Old.Subject != "" {
			pr("  old CA   %s: %q, valid until %s, key %s", cfg.CA.Cert, p.Old.Subject, day(p.Old.NotAfter), cfg.CA.Key)
		}
		pr("  new CA   create %q (%s, %s), never over a file:", p.NewCommonName, rc.KeyTypeOrDefault(), cfg.WrittenDuration("renew.ca.validity", rc.CAValidityDuration()))
		pr("        %-13s %s (0600)", "key", paths.NewKey)
		pr("        %-13s %s (0644)", "cert", paths.NewCert)
		writeTrust(pr, paths, "what ca.cert holds now + the new CA")
	case rotation.StepSwitch:
		pr("  new CA   %s: %q, valid until %s, signing key %s", paths.NewCert, p.New.Subject, day(p.New.NotAfter), paths.NewKey)
		if p.Entries != nil {
			for _, e := range p.Entries.Renewing() {
				pr("  reissue  %s: %s", e.Entry.Name, joinReasons(e.Reasons))
				writeFiles(pr, cfg, e.Entry)
			}
		}
	case rotation.StepFinish:
		pr("  new CA   %q becomes the configured CA; its key goes to %s", p.New.Subject, cfg.CA.Key)
		writeTrust(pr, paths, "the new CA alone")
		pr("  old CA   %q is trusted no more; its key moves to the backup folder, which is never pruned", p.Old.Subject)
		pr("  remove   %s and %s (ca.cert and ca.key hold them now; the backup keeps them)", paths.NewCert, paths.NewKey)
		writeBlockers(pr, p)
	}
	pr("  state    %s: %s", paths.State, rotation.Reaches(p.Step))
	writeRotationSteps(pr, cfg, p, stateDir)
	for _, w := range p.Warnings {
		pr("  WARNING: %s", w)
	}
	if p.Err != nil {
		pr("  REFUSED, nothing will be written: %s", refusal(&Plan{Err: p.Err}))
		return
	}
	pr("  Next: %s", map[string]string{
		rotation.StepPrepare: fmt.Sprintf("hand %s (both CAs) to every client that verifies the servers; once they all have it, run renew --rotate-ca (switch)", paths.Bundle),
		rotation.StepSwitch:  "clients that trust only the old CA are refused from now on; once no client needs it, run renew --rotate-ca --finish",
		rotation.StepFinish:  "the rotation is over; clients may keep the bundle file, which now holds the new CA alone",
	}[p.Step])
}

// writeTrust lists the files that hold the trusted CAs and what they get.
func writeTrust(pr func(string, ...any), paths rotation.Paths, what string) {
	pr("  trust    %s, into:", what)
	pr("        %-13s %s (the exporter and the servers read it)", "ca.cert", paths.CACert)
	pr("        %-13s %s (for clients)", "bundle", paths.Bundle)
	for _, t := range paths.Trust {
		pr("        %-13s %s", "trust file", t)
	}
}

// writeBlockers lists what still needs the old CA.
func writeBlockers(pr func(string, ...any), p *rotationPlan) {
	if len(p.Blockers) == 0 {
		if p.Err == nil {
			pr("  checked  no configured certificate, served certificate or visible client session needs the old CA")
		}
		return
	}
	pr("  still needing the old CA:")
	for _, b := range p.Blockers {
		pr("        - %s", b)
	}
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
	step("on failure: restore the backup (the rotation stays %s), reload again, confirm the old certificates are served", p.From)
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
