package server

import (
	"log/slog"

	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/targets"
)

// runtime is everything built from one configuration.
type runtime struct {
	cfg       *config.Config
	inspector *inspect.Inspector
	prober    *targets.Prober
	exporter  *collector.Exporter
}

// build assembles the collectors for a configuration; session sources
// connect on the first scrape.
func build(cfg *config.Config, logger *slog.Logger) *runtime {
	rt := &runtime{cfg: cfg, inspector: inspect.New(cfg, 0), prober: targets.New(cfg)}
	judging := collector.JudgingOf(cfg)
	sources := []collector.Source{
		collector.NewFiles(rt.inspector, judging, logger),
		collector.NewProbes(rt.prober, rt.inspector, judging, logger),
		collector.NewRenew(cfg.RenewStateDir(), logger),
	}
	sources = append(sources, sessionSources(cfg)...)
	rt.exporter = collector.NewExporter(logger, sources...)
	return rt
}
