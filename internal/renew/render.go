package renew

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
)

// writePlan prints the plan for a person reading a terminal or a log.
func writePlan(w io.Writer, cfg *config.Config, p *Plan, stateDir string) {
	pr := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	pr("Renew plan (%s, state in %s)", p.Now.UTC().Format("2006-01-02 15:04:05 UTC"), stateDir)
	ca := p.CA
	switch {
	case ca.Create:
		rc := cfg.Renew.CA
		pr("  CA   create %q (%s, %s) at %s, key %s (0600): none exists and --init was given",
			rc.CommonNameOrDefault(), rc.KeyTypeOrDefault(), cfg.WrittenDuration("renew.ca.validity", rc.CAValidityDuration()), ca.CertPath, ca.KeyPath)
	case ca.Err != nil && len(p.Renewing()) > 0:
		pr("  CA   UNUSABLE: %v", ca.Err)
	case ca.Err != nil:
		pr("  CA   not needed now (%v)", ca.Err)
	default:
		pr("  CA   %s (%s, valid until %s), signing key %s", ca.CertPath, ca.Subject, rotation.Day(ca.NotAfter), ca.KeyPath)
	}
	for _, e := range p.Entries {
		switch {
		case e.Renew:
			pr("  renew %s: %s", e.Entry.Name, joinReasons(e.Reasons))
			writeFiles(pr, cfg, e.Entry)
		case e.Skipped:
			pr("  skip  %s: %s", e.Entry.Name, e.Status)
		default:
			pr("  keep  %s: %s", e.Entry.Name, e.Status)
		}
	}
	if len(p.Renewing()) > 0 {
		writeSteps(pr, cfg, p, stateDir)
	}
	for _, w := range p.Warnings {
		pr("  WARNING: %s", w)
	}
	if p.Err != nil {
		pr("  REFUSED, nothing will be written: %s", refusal(p))
	} else if len(p.Renewing()) == 0 {
		pr("  Nothing to do.")
	}
}

func writeFiles(pr func(string, ...any), cfg *config.Config, e config.Certificate) {
	owner := "owner kept"
	if e.KeyOwner != "" {
		owner = "owner " + e.KeyOwner
	}
	for _, f := range []struct{ role, path, mode, owner string }{
		{"key", e.Key, "0600", owner}, {"combined", e.Combined, "0600", owner}, {"cert", e.Cert, "0644", "owner kept"},
	} {
		if f.path != "" {
			pr("        %-8s %s (%s, %s)", f.role, f.path, f.mode, f.owner)
		}
	}
	pr("        SANs %s; %s, valid %s (never past the CA)", strings.Join(e.ExpectedNames, ", "),
		cfg.Renew.KeyTypeOrDefault(), cfg.WrittenDuration("renew.validity", cfg.Renew.ValidityDuration()))
}

// stepWriter numbers the steps of a plan.
func stepWriter(pr func(string, ...any)) func(format string, args ...any) {
	n := 0
	return func(format string, args ...any) {
		n++
		pr(fmt.Sprintf("    %d. ", n)+format, args...)
	}
}

// writeTxnSteps are a transaction's first steps: journal, backup, files.
func writeTxnSteps(step func(string, ...any), stateDir string) {
	step("journal in %s, back up the replaced files to %s",
		filepath.Join(stateDir, "journal.json"), filepath.Join(stateDir, backupsDir, "<time>")+string(filepath.Separator))
	step("write the new files beside the old ones, sync, rename into place")
}

// writeServiceSteps lists the install and reload steps of services.
func writeServiceSteps(step func(string, ...any), cfg *config.Config, services []config.Service) {
	for _, s := range services {
		acts, err := serviceActions(cfg, s)
		if err != nil {
			step("service %s: %v", s.Name, err)
			continue
		}
		for _, a := range acts {
			step("service %s (%s): %s", s.Name, s.Kind, a.what)
		}
	}
}

// targetName is the name a target is verified with.
func targetName(t config.Target) string {
	if t.ServerName == "" {
		return "the address host"
	}
	return t.ServerName
}

func writeSteps(pr func(string, ...any), cfg *config.Config, p *Plan, stateDir string) {
	step := stepWriter(pr)
	pr("  Steps:")
	writeTxnSteps(step, stateDir)
	if !p.Reload {
		step("no install into services, no reload, no verification (--no-reload): " + keepsServingOld)
		return
	}
	writeServiceSteps(step, cfg, p.Services)
	old := map[string]bool{}
	for _, e := range p.Renewing() {
		old[e.Entry.Name] = e.OldSerial != ""
	}
	confirm := false
	for _, t := range p.Targets {
		step("verify target %s (%s, name %s) serves the new serial and passes verify-full (up to %s)",
			t.Name, t.Address, targetName(t), cfg.WrittenDuration("renew.verify_timeout", cfg.Renew.VerifyTimeoutDuration()))
		confirm = confirm || old[t.Certificate]
	}
	writeRollbackStep(step, "restore the backup", len(p.Services) > 0, confirm, false)
}

// keepsServingOld says what --no-reload leaves to the operator.
const keepsServingOld = "a running server keeps serving its old certificate until it is reloaded"

// writeRollbackStep is a plan's last step: what a failure undoes, and
// only the steps and checks the run will take (reload: services reload
// again; confirm: targets serve the old certificates; link: the link
// check).
func writeRollbackStep(step func(string, ...any), restore string, reload, confirm, link bool) {
	parts := []string{restore}
	if reload {
		parts = append(parts, "reload again")
	}
	if confirm {
		parts = append(parts, "confirm the old certificates are served")
	}
	if link {
		parts = append(parts, "run the link check again")
	}
	note := ""
	if !confirm {
		note = " (no target to confirm the old certificates are served)"
	}
	step("on failure: %s%s", strings.Join(parts, ", "), note)
}

// refusal says on one line why the plan is refused; the CA's reason,
// printed on the CA line already, is referred to rather than repeated.
func refusal(p *Plan) string {
	var parts []string
	for _, err := range flatten(p.Err) {
		if err == p.CA.Err {
			parts = append(parts, "no usable CA (see the CA line)")
			continue
		}
		parts = append(parts, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	return strings.Join(parts, "; ")
}

// flatten lists the errors that errors.Join combined, depth first.
func flatten(err error) []error {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range joined.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}

// joinReasons joins an entry's reasons for one line.
func joinReasons(reasons []string) string { return strings.Join(reasons, "; ") }
