package server

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// runtime is everything built from one configuration.
type runtime struct {
	cfg      *config.Config
	sources  *sources.Set
	exporter *collector.Exporter
	files    *collector.Files
	// landing is the landing page, nil when it could not be built.
	landing http.Handler
	// ready is set, and warmed closed, once every certificate file has
	// been read and its series built.
	ready  atomic.Bool
	warmed chan struct{}
}

// build assembles the collectors for a configuration; session sources
// connect on the first scrape.
func build(cfg *config.Config, logger *slog.Logger) *runtime {
	set := sources.New(cfg, sources.Options{})
	srcs, files := collector.FromSources(set, logger)
	files.Encoded()
	return &runtime{cfg: cfg, sources: set, exporter: collector.NewExporter(logger, srcs...), files: files,
		landing: newLanding(cfg, logger), warmed: make(chan struct{})}
}

// warm reads every certificate file and builds its series, so that no
// scrape waits for them; scrapes that come earlier get what is ready.
func (rt *runtime) warm(ctx context.Context) {
	ch := make(chan prometheus.Metric, 1024)
	go func() {
		// Warming builds the caches; the series themselves are not needed.
		for range ch {
		}
	}()
	_ = rt.files.Update(ctx, ch)
	close(ch)
	rt.ready.Store(true)
	close(rt.warmed)
}
