package collector

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/rules"
)

var (
	renewLastRunDesc = prometheus.NewDesc(Namespace+"_renew_last_run_timestamp_seconds",
		"When the last renew run finished.", nil, nil)
	renewLastSuccessDesc = prometheus.NewDesc(Namespace+"_renew_last_success_timestamp_seconds",
		"When a renew run last exited 0 (0: never).", nil, nil)
	renewExitCodeDesc = prometheus.NewDesc(Namespace+"_renew_last_exit_code",
		"Exit code of the last renew run: 0 ok, 1 failed and rolled back, 2 failed and not rolled back, 4 refused (nothing attempted).", nil, nil)
	renewOutcomeDesc = prometheus.NewDesc(Namespace+"_renew_last_outcome",
		"How the last renew run ended: 1 for its outcome, 0 for the others.", []string{"outcome"}, nil)
	renewEntryResultDesc = prometheus.NewDesc(Namespace+"_renew_entry_last_result",
		"What the last renew run did to an entry: 1 for its result, 0 for the others.", []string{"name", "result"}, nil)
	renewEntryRenewedDesc = prometheus.NewDesc(Namespace+"_renew_entry_last_renewed_timestamp_seconds",
		"When an entry was last renewed successfully.", []string{"name"}, nil)
	renewPendingDesc = prometheus.NewDesc(Namespace+"_renew_transaction_pending",
		"Whether an interrupted renew left a journal that the next run finishes or undoes.", nil, nil)
)

// Renew exports the state file that `pgtls_exporter renew` writes. A
// missing state folder or file means renew has not run: nothing is
// exported. An unreadable state file fails this source alone.
type Renew struct {
	stateDir string
	logger   *slog.Logger
}

// NewRenew returns the renew source for a state folder.
func NewRenew(stateDir string, logger *slog.Logger) *Renew {
	return &Renew{stateDir: stateDir, logger: logger}
}

// Name implements Source.
func (r *Renew) Name() string { return "renew" }

// Update implements Source.
func (r *Renew) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	if _, err := os.Stat(r.stateDir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	send := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- gauge(d, v, labels...)
	}
	_, err := os.Stat(filepath.Join(r.stateDir, renewstate.JournalFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("renew journal: %w", err)
	}
	send(renewPendingDesc, boolValue(err == nil))
	journalWaits := err == nil
	st, err := renewstate.Read(renewstate.Path(r.stateDir))
	for _, m := range problemMetrics(rules.JudgeRenew(r.stateDir, journalWaits, st, err, time.Now())) {
		ch <- m
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	send(renewLastRunDesc, timestamp(st.LastRun))
	send(renewLastSuccessDesc, timestamp(st.LastSuccess))
	send(renewExitCodeDesc, float64(st.ExitCode))
	for _, outcome := range renewstate.Outcomes() {
		send(renewOutcomeDesc, boolValue(st.Outcome == outcome), outcome)
	}
	for name, e := range st.Entries {
		for _, result := range renewstate.Results() {
			send(renewEntryResultDesc, boolValue(e.Result == result), name, result)
		}
		if !e.LastRenewed.IsZero() {
			send(renewEntryRenewedDesc, timestamp(e.LastRenewed), name)
		}
	}
	return nil
}

// timestamp is t in Unix seconds, 0 for the zero time.
func timestamp(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.Unix())
}
