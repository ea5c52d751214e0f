package rotation

import (
	"fmt"
	"io"
	"time"

	"github.com/magflow/pgtls_exporter/internal/config"
)

// A step's plan is printed in three parts by this package, with the
// caller's lines between them: WriteHead (the step and its files), the
// reissue of switch, WriteState, the transaction's steps, WriteNext.

// WriteHead prints the head of a step's plan: the step, the phase it
// reaches and what it does with the CA files.
func WriteHead(w io.Writer, cfg *config.Config, p *Plan, stateDir string) {
	pr := printer(w)
	pr("CA rotation plan: %s (%s, state in %s)", p.Step, p.Now.UTC().Format("2006-01-02 15:04:05 UTC"), stateDir)
	pr("  phase    %s -> %s", p.From, Reaches(p.Step))
	paths := p.Paths
	rc := cfg.Renew.CA
	switch p.Step {
	case StepPrepare:
		if p.Old.Subject != "" {
			pr("  old CA   %s: %q, valid until %s, key %s", cfg.CA.Cert, p.Old.Subject, Day(p.Old.NotAfter), cfg.CA.Key)
		}
		pr("  new CA   create %q (%s, %s), never over a file:", p.NewCommonName, rc.KeyTypeOrDefault(), cfg.WrittenDuration("renew.ca.validity", rc.CAValidityDuration()))
		pr("        %-13s %s (0600)", "key", paths.NewKey)
		pr("        %-13s %s (0644)", "cert", paths.NewCert)
		writeTrust(pr, paths, "what ca.cert holds now + the new CA")
	case StepSwitch:
		pr("  new CA   %s: %q, valid until %s, signing key %s", paths.NewCert, p.New.Subject, Day(p.New.NotAfter), paths.NewKey)
	case StepFinish:
		pr("  new CA   %q becomes the configured CA; its key goes to %s", p.New.Subject, cfg.CA.Key)
		writeTrust(pr, paths, "the new CA alone")
		pr("  old CA   %q is trusted no more; its key moves to the backup folder, which is never pruned", p.Old.Subject)
		pr("  remove   %s and %s (ca.cert and ca.key hold them now; the backup keeps them)", paths.NewCert, paths.NewKey)
		writeBlockers(pr, p)
	}
}

// WriteState prints the phase the state file gets.
func WriteState(w io.Writer, p *Plan) {
	printer(w)("  state    %s: %s", p.Paths.State, Reaches(p.Step))
}

// WriteNext prints the end of a step's plan: its caveats, and either why
// it is refused (refusal words the error) or what to do next.
func WriteNext(w io.Writer, p *Plan, refusal func(error) string) {
	pr := printer(w)
	for _, warning := range p.Warnings {
		pr("  WARNING: %s", warning)
	}
	if p.Err != nil {
		pr("  REFUSED, nothing will be written: %s", refusal(p.Err))
		return
	}
	pr("  Next: %s", map[string]string{
		StepPrepare: fmt.Sprintf("hand %s (both CAs) to every client that verifies the servers; once they all have it, run renew --rotate-ca (switch)", p.Paths.Bundle),
		StepSwitch:  "clients that trust only the old CA are refused from now on; once no client needs it, run renew --rotate-ca --finish",
		StepFinish:  "the rotation is over; clients may keep the bundle file, which now holds the new CA alone",
	}[p.Step])
}

// printer prints a line of the plan.
func printer(w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
}

// Day writes a time as plans do: "2031-03-02 09:12 UTC".
func Day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// writeTrust lists the files that hold the trusted CAs and what they get.
func writeTrust(pr func(string, ...any), paths Paths, what string) {
	pr("  trust    %s, into:", what)
	pr("        %-13s %s (the exporter and the servers read it)", "ca.cert", paths.CACert)
	pr("        %-13s %s (for clients)", "bundle", paths.Bundle)
	for _, t := range paths.Trust {
		pr("        %-13s %s", "trust file", t)
	}
}

// writeBlockers lists what still needs the old CA.
func writeBlockers(pr func(string, ...any), p *Plan) {
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
