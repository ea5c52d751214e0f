package collector

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

var renewMetricNames = []string{
	"pgtls_renew_last_run_timestamp_seconds", "pgtls_renew_last_success_timestamp_seconds", "pgtls_renew_last_exit_code",
	"pgtls_renew_last_outcome",
	"pgtls_renew_entry_last_result", "pgtls_renew_entry_last_renewed_timestamp_seconds", "pgtls_renew_transaction_pending",
	"pgtls_scrape_collector_success",
}

// runEnd is the exposition of a last run's exit code and outcome.
func runEnd(exitCode int, outcome string) string {
	out := fmt.Sprintf(`# HELP pgtls_renew_last_exit_code Exit code of the last renew run: 0 ok, 1 failed and rolled back, 2 failed and not rolled back, 4 refused (nothing attempted).
# TYPE pgtls_renew_last_exit_code gauge
pgtls_renew_last_exit_code %d
# HELP pgtls_renew_last_outcome How the last renew run ended: 1 for its outcome, 0 for the others.
# TYPE pgtls_renew_last_outcome gauge
`, exitCode)
	for _, o := range []string{"not_rolled_back", "ok", "refused", "rolled_back"} {
		out += fmt.Sprintf("pgtls_renew_last_outcome{outcome=%q} %d\n", o, map[bool]int{true: 1}[o == outcome])
	}
	return out
}

func renewExporter(dir string) *Exporter {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewExporter(logger, NewRenew(dir, logger))
}

func TestRenewExposition(t *testing.T) {
	dir := t.TempDir()
	run := time.Unix(1900000000, 0).UTC()
	st := &renewstate.State{LastRun: run, LastSuccess: run.Add(-time.Hour), ExitCode: 1, Entries: map[string]renewstate.Entry{
		"postgres":  {Result: renewstate.ResultRolledBack, Error: "target postgres serves the old serial"},
		"pgbouncer": {Result: renewstate.ResultRenewed, LastRenewed: run},
	}}
	if err := renewstate.Write(renewstate.Path(dir), st); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP pgtls_renew_entry_last_renewed_timestamp_seconds When an entry was last renewed successfully.
# TYPE pgtls_renew_entry_last_renewed_timestamp_seconds gauge
pgtls_renew_entry_last_renewed_timestamp_seconds{name="pgbouncer"} 1.9e+09
# HELP pgtls_renew_entry_last_result What the last renew run did to an entry: 1 for its result, 0 for the others.
# TYPE pgtls_renew_entry_last_result gauge
pgtls_renew_entry_last_result{name="pgbouncer",result="not_renewed"} 0
pgtls_renew_entry_last_result{name="pgbouncer",result="renewed"} 1
pgtls_renew_entry_last_result{name="pgbouncer",result="rollback_failed"} 0
pgtls_renew_entry_last_result{name="pgbouncer",result="rolled_back"} 0
pgtls_renew_entry_last_result{name="pgbouncer",result="unchanged"} 0
pgtls_renew_entry_last_result{name="postgres",result="not_renewed"} 0
pgtls_renew_entry_last_result{name="postgres",result="renewed"} 0
pgtls_renew_entry_last_result{name="postgres",result="rollback_failed"} 0
pgtls_renew_entry_last_result{name="postgres",result="rolled_back"} 1
pgtls_renew_entry_last_result{name="postgres",result="unchanged"} 0
` + runEnd(1, renewstate.OutcomeRolledBack) + `# HELP pgtls_renew_last_run_timestamp_seconds When the last renew run finished.
# TYPE pgtls_renew_last_run_timestamp_seconds gauge
pgtls_renew_last_run_timestamp_seconds 1.9e+09
# HELP pgtls_renew_last_success_timestamp_seconds When a renew run last exited 0 (0: never).
# TYPE pgtls_renew_last_success_timestamp_seconds gauge
pgtls_renew_last_success_timestamp_seconds 1.8999964e+09
# HELP pgtls_renew_transaction_pending Whether an interrupted renew left a journal that the next run finishes or undoes.
# TYPE pgtls_renew_transaction_pending gauge
pgtls_renew_transaction_pending 0
# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="renew"} 1
`
	if err := testutil.CollectAndCompare(renewExporter(dir), strings.NewReader(want), renewMetricNames...); err != nil {
		t.Fatal(err)
	}
}

func TestRenewWithoutStateExportsNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "renew-state")
	success := `
# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="renew"} 1
`
	if err := testutil.CollectAndCompare(renewExporter(dir), strings.NewReader(success), renewMetricNames...); err != nil {
		t.Fatalf("no state folder: %v", err)
	}
	// A first renew was interrupted: the folder and a journal, no state yet.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, renewstate.JournalFile), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	pending := `
# HELP pgtls_renew_transaction_pending Whether an interrupted renew left a journal that the next run finishes or undoes.
# TYPE pgtls_renew_transaction_pending gauge
pgtls_renew_transaction_pending 1
` + success
	if err := testutil.CollectAndCompare(renewExporter(dir), strings.NewReader(pending), renewMetricNames...); err != nil {
		t.Fatalf("journal only: %v", err)
	}
}

func TestRenewGarbageStateFailsAlone(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(renewstate.Path(dir), []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP pgtls_renew_transaction_pending Whether an interrupted renew left a journal that the next run finishes or undoes.
# TYPE pgtls_renew_transaction_pending gauge
pgtls_renew_transaction_pending 0
# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="renew"} 0
`
	if err := testutil.CollectAndCompare(renewExporter(dir), strings.NewReader(want), renewMetricNames...); err != nil {
		t.Fatal(err)
	}
}

// TestRenewRefusalExposition: a refused run is its own outcome and exit
// code, and its own problem for alerts, never a rollback.
func TestRenewRefusalExposition(t *testing.T) {
	dir := t.TempDir()
	run := time.Unix(1900000000, 0).UTC()
	st := &renewstate.State{LastRun: run, LastSuccess: run.Add(-time.Hour), ExitCode: 4, Outcome: renewstate.OutcomeRefused,
		Message: "refused: no usable CA", Refused: "no usable CA",
		Entries: map[string]renewstate.Entry{"postgres": {Result: renewstate.ResultNotRenewed, Error: "no usable CA"}}}
	if err := renewstate.Write(renewstate.Path(dir), st); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP pgtls_problem A current problem (absent when healthy); code and severity come from the rules table.
# TYPE pgtls_problem gauge
pgtls_problem{code="renew_refused",severity="warning",source="renew",subject="renew"} 1
` + runEnd(4, renewstate.OutcomeRefused) + `# HELP pgtls_renew_last_success_timestamp_seconds When a renew run last exited 0 (0: never).
# TYPE pgtls_renew_last_success_timestamp_seconds gauge
pgtls_renew_last_success_timestamp_seconds 1.8999964e+09
`
	if err := testutil.CollectAndCompare(renewExporter(dir), strings.NewReader(want), "pgtls_problem",
		"pgtls_renew_last_exit_code", "pgtls_renew_last_outcome", "pgtls_renew_last_success_timestamp_seconds"); err != nil {
		t.Fatal(err)
	}
}
