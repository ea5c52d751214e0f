package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serveMetricsFloor serves the exposition in file as client_golang serves
// any registry: every request gathers the same families and promhttp
// encodes (and gzips) them. It is the floor a /metrics of as many series
// is judged against: writing them, and nothing else.
func serveMetricsFloor(file, listen string) error {
	data, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("metrics floor: %w", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	parsed, err := parser.TextToMetricFamilies(data)
	_ = data.Close()
	if err != nil {
		return fmt.Errorf("metrics floor: parse %s: %w", file, err)
	}
	families := make([]*dto.MetricFamily, 0, len(parsed))
	for _, mf := range parsed {
		families = append(families, mf)
	}
	gatherer := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return families, nil })
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ready") })
	return http.ListenAndServe(listen, mux)
}
