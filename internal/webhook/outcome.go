package webhook

import (
	"strconv"

	"github.com/magflow/pgtls_exporter/internal/renew"
)

// resultNothingDue is a run that exited 0 having left the entry unchanged:
// renew did not find it due.
const resultNothingDue = "nothing_due"

// runResult names a renew run by its exit code: the result label of
// pgtls_webhook_renew_runs_total. A dry run is dry_run, or dry_run_refused
// when its plan was refused; an exit code renew does not document here
// is exit_N.
func runResult(code int, dryRun bool) string {
	if dryRun {
		if code == renew.ExitOK {
			return "dry_run"
		}
		return "dry_run_refused"
	}
	switch code {
	case renew.ExitOK:
		return "ok"
	case renew.ExitRolledBack:
		return "rolled_back"
	case renew.ExitBroken:
		return "broken"
	case renew.ExitRefused:
		return "refused"
	}
	return "exit_" + strconv.Itoa(code)
}
