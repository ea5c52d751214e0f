package renew

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// TestStackRotationKilledAtEveryStep kills each step of a CA rotation
// (prepare, switch, finish) with SIGKILL right after each of its
// checkpoints. Right after the kill every entry is consistent on disk
// unless a journal records the transaction in flight; the next run with
// the same flags converges to the step's phase: every entry consistent
// and served, verify-full passing, PgBouncer reaching PostgreSQL over a
// new TLS connection. Each round is a whole rotation, the next round
// rotates again from the finished one.
func TestStackRotationKilledAtEveryStep(t *testing.T) {
	sf := newRotationFixture(t)
	spec := func(step string, killAt int) childSpec {
		return childSpec{Config: sf.cfgPath, RotateCA: true, Until: step, KillAt: killAt}
	}
	steps := map[string][]string{}
	most := 0
	for _, step := range rotation.Steps() {
		trial := runChild(t, spec(step, 0))
		if trial.killed || trial.code != ExitOK {
			t.Fatalf("trial %s: code %d\n%s", step, trial.code, trial.stderr)
		}
		steps[step] = trial.steps
		most = max(most, len(trial.steps))
		t.Logf("%s: %d steps: %s", step, len(trial.steps), strings.Join(trial.steps, ", "))
	}
	for _, want := range []string{"locked", "planned", "issued", "journal-prepared", "journal-installed", "reloaded db",
		"reloaded pgbouncer", "verified", "link-checked", "journal-removed", "state-written"} {
		for _, step := range rotation.Steps() {
			if !slices.Contains(steps[step], want) {
				t.Errorf("step %s has no checkpoint %q", step, want)
			}
		}
	}
	sf.requirePhase(t, renewstate.PhaseFinished)
	for k := 1; k <= most; k++ {
		t.Run(fmt.Sprintf("checkpoint_%d", k), func(t *testing.T) {
			for _, step := range rotation.Steps() {
				if k > len(steps[step]) {
					sf.rotate(t, ExitOK, Options{Until: step})
					continue
				}
				res := runChild(t, spec(step, k))
				if !res.killed {
					t.Fatalf("%s not killed after %s: code %d\n%s", step, steps[step][k-1], res.code, res.stderr)
				}
				if !journalExists(t, sf.fixture) {
					requireConsistent(t, sf.config(t))
				}
				out := sf.rotate(t, ExitOK, Options{Until: step})
				if t.Failed() {
					t.Fatalf("%s killed after %s; the next run:\n%s", step, steps[step][k-1], out)
				}
				sf.requirePhase(t, rotation.Reaches(step))
				sf.requireHealthy(t)
			}
		})
	}
}
