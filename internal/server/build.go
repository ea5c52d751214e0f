package server

import (
	"log/slog"

	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// runtime is everything built from one configuration.
type runtime struct {
	cfg      *config.Config
	sources  *sources.Set
	exporter *collector.Exporter
}

// build assembles the collectors for a configuration; session sources
// connect on the first scrape.
func build(cfg *config.Config, logger *slog.Logger) *runtime {
	set := sources.New(cfg, sources.Options{})
	return &runtime{cfg: cfg, sources: set, exporter: collector.NewExporter(logger, collector.FromSources(set, logger)...)}
}
