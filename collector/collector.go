// Package collector turns pgtls_exporter's reports into Prometheus metrics.
// Each source of findings is a Source; Exporter runs them on every scrape and
// reports per source whether it worked and how long it took. A failing source
// never fails the scrape.
package collector

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every metric name.
const Namespace = "pgtls"

// Source is one kind of finding (certificate files, probes, sessions).
type Source interface {
	// Name labels the source in pgtls_scrape_collector_* metrics.
	Name() string
	// Update sends the source's metrics to ch; an error marks the source
	// failed for this scrape (metrics already sent are kept).
	Update(ctx context.Context, ch chan<- prometheus.Metric) error
}

var (
	scrapeSuccessDesc = prometheus.NewDesc(Namespace+"_scrape_collector_success",
		"Whether a collector succeeded.", []string{"collector"}, nil)
	scrapeDurationDesc = prometheus.NewDesc(Namespace+"_scrape_collector_duration_seconds",
		"How long a collector took.", []string{"collector"}, nil)
)

// Exporter is a prometheus.Collector running every Source concurrently.
type Exporter struct {
	sources []Source
	logger  *slog.Logger

	mu      sync.Mutex
	lastErr map[string]string // per source: the error text of its last run, "" for success
}

// NewExporter returns an Exporter over sources.
func NewExporter(logger *slog.Logger, sources ...Source) *Exporter {
	return &Exporter{sources: sources, logger: logger, lastErr: map[string]string{}}
}

// Describe sends nothing: the exporter is unchecked, since its series depend
// on configuration and on what the sources find.
func (e *Exporter) Describe(chan<- *prometheus.Desc) {}

// Collect runs every source and sends their metrics.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	e.CollectContext(context.Background(), ch)
}

// CollectContext is Collect bounded by ctx (a scrape's deadline). The
// sources share one file report per scrape.
func (e *Exporter) CollectContext(ctx context.Context, ch chan<- prometheus.Metric) {
	ctx = withScrape(ctx, time.Now())
	var wg sync.WaitGroup
	for _, s := range e.sources {
		wg.Go(func() { e.execute(ctx, s, ch) })
	}
	wg.Wait()
}

func (e *Exporter) execute(ctx context.Context, s Source, ch chan<- prometheus.Metric) {
	start := time.Now()
	err := s.Update(ctx, ch)
	ok := 1.0
	if err != nil {
		ok = 0
	}
	e.logChange(s.Name(), err)
	ch <- gauge(scrapeDurationDesc, time.Since(start).Seconds(), s.Name())
	ch <- gauge(scrapeSuccessDesc, ok, s.Name())
}

// logChange logs a source's error when it differs from the one of its last
// run, and its recovery: a server that stays down is logged once, not on
// every scrape.
func (e *Exporter) logChange(name string, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	e.mu.Lock()
	last, seen := e.lastErr[name]
	e.lastErr[name] = msg
	e.mu.Unlock()
	switch {
	case err != nil && msg != last:
		e.logger.Error("collector failed", "collector", name, "err", err)
	case err == nil && seen && last != "":
		e.logger.Info("collector recovered", "collector", name)
	}
}

// Close releases what the sources hold (connection pools); sources that
// implement io.Closer are closed. The exporter must not be used afterwards.
func (e *Exporter) Close() error {
	var errs []error
	for _, s := range e.sources {
		if c, ok := s.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// gauge builds a constant gauge. Label values come from outside (file
// names, certificate subjects, database and user names from the servers):
// invalid UTF-8 is replaced rather than allowed to panic the scrape, and a
// label count that does not match the descriptor is a programming error
// reported as an invalid metric, not a crash.
func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	for i, l := range labels {
		if !utf8.ValidString(l) {
			labels[i] = strings.ToValidUTF8(l, "\uFFFD")
		}
	}
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
