package renew

import (
	"fmt"
	"io"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

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
