package collector

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/rules"
)

var (
	rotationPhaseDesc = prometheus.NewDesc(Namespace+"_ca_rotation_phase",
		"Phase of the CA rotation: 1 for the current one (none, prepared, switched, finished), 0 for the others.", []string{"phase"}, nil)
	rotationSinceDesc = prometheus.NewDesc(Namespace+"_ca_rotation_phase_since_timestamp_seconds",
		"When the CA rotation reached its current phase.", nil, nil)
	rotationCANotAfterDesc = prometheus.NewDesc(Namespace+"_ca_rotation_ca_not_after_timestamp_seconds",
		"Expiry of the old and the new CA of the last CA rotation.", []string{"ca"}, nil)
)

// CARotation exports the CA rotation's state file in renew's state folder:
// its phase, when it was reached, both CAs' expiry, and its problems.
// Without a state folder (renew never ran) it exports nothing; without a
// state file the phase is none. An unreadable state file fails this
// source alone.
type CARotation struct {
	stateDir string
	maxAge   time.Duration
	logger   *slog.Logger
}

// NewCARotation returns the CA rotation source; maxAge is
// renew.ca_rotation.max_phase_age.
func NewCARotation(stateDir string, maxAge time.Duration, logger *slog.Logger) *CARotation {
	return &CARotation{stateDir: stateDir, maxAge: maxAge, logger: logger}
}

// Name implements Source.
func (c *CARotation) Name() string { return "ca_rotation" }

// Update implements Source.
func (c *CARotation) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	if _, err := os.Stat(c.stateDir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	path := renewstate.RotationPath(c.stateDir)
	st, err := renewstate.ReadRotation(path)
	for _, m := range problemMetrics(rules.JudgeCARotation(path, st, err, time.Now(), c.maxAge)) {
		ch <- m
	}
	phase := renewstate.PhaseNone
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		phase = st.Phase
		ch <- gauge(rotationSinceDesc, timestamp(st.Since))
		ch <- gauge(rotationCANotAfterDesc, timestamp(st.OldCA.NotAfter), "old")
		ch <- gauge(rotationCANotAfterDesc, timestamp(st.NewCA.NotAfter), "new")
	}
	for _, p := range renewstate.Phases() {
		ch <- gauge(rotationPhaseDesc, boolValue(p == phase), p)
	}
	return nil
}
