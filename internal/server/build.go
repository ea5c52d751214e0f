package server

import (
	"log/slog"

	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
)

// Build assembles the collectors for a configuration.
func Build(cfg *config.Config, logger *slog.Logger) *collector.Exporter {
	sources := []collector.Source{collector.NewFiles(inspect.New(cfg, 0), logger)}
	sources = append(sources, sessionSources(cfg)...)
	return collector.NewExporter(logger, 0, sources...)
}
