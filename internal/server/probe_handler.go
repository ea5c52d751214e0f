package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/config"
)

// serveProbe answers /probe?target=NAME_OR_ADDRESS&module=NEGOTIATION with
// the metrics of one live handshake, in a registry of its own.
func (s *Server) serveProbe(w http.ResponseWriter, r *http.Request) {
	rt := s.current()
	query := r.URL.Query()
	key := query.Get("target")
	module := config.Negotiation(query.Get("module"))
	if key == "" {
		http.Error(w, "the target parameter is missing", http.StatusBadRequest)
		return
	}
	if module != "" && !module.Valid() {
		http.Error(w, fmt.Sprintf("unknown module %q; modules are %v", module, config.Negotiations()), http.StatusBadRequest)
		return
	}
	t, ok := rt.cfg.TargetByName(key)
	if !ok {
		if !rt.cfg.Probe.AllowUnlistedTargets {
			http.Error(w, fmt.Sprintf("target %q is not configured (set probe.allow_unlisted_targets to probe any host:port)", key), http.StatusForbidden)
			return
		}
		if err := config.CheckAddress(key); err != nil {
			http.Error(w, "target "+err.Error(), http.StatusBadRequest)
			return
		}
		t = config.Target{Name: key, Address: key}
	}
	if module != "" {
		t.Negotiation = module
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.scrapeTimeout(r))
	defer cancel()
	now := time.Now()
	// Only the CA and the target's own entry are read again.
	report := rt.sources.Prober.Probe(ctx, t, rt.sources.Inspector.InspectEntry(t.Certificate, now))
	if report.Err != nil {
		s.logger.Debug("probe failed", "target", key, "err", report.Err)
	}
	w.Header().Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	if err := collector.WriteProbe(w, key, report, rt.sources.Policy, now); err != nil {
		s.logger.Debug("probe answer not written", "target", key, "err", err)
	}
}
