package webhook

import "github.com/magflow/pgtls_exporter/internal/renew"

// resultNothingDue is a run that exited 0 having left the entry unchanged:
// renew did not find it due.
const resultNothingDue = "nothing_due"

// runResult names a renew run by its exit code, as renew's state file
// names its outcome (ok, rolled_back, refused, not_rolled_back): the
// result label of pgtls_webhook_renew_runs_total. A dry run is dry_run, or
// dry_run_refused when its plan was refused.
func runResult(code int, dryRun bool) string {
	if dryRun {
		if code == renew.ExitOK {
			return "dry_run"
		}
		return "dry_run_refused"
	}
	return renew.Outcome(code)
}
