package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/dashboards"
)

// startPrometheus runs Debian's Prometheus against the exporter with the
// project's alert rules: /metrics as job pgtls, and every target through
// /probe (file_sd and relabelling, as in the README), sending its alerts
// to the Alertmanager at alertmanager (host:port). It returns a stop
// function.
func startPrometheus(ctx context.Context, dir, exporter, listen, rules, alertmanager string) (func(), error) {
	promDir := filepath.Join(dir, "prometheus")
	if err := os.MkdirAll(promDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", promDir, err)
	}
	sd := filepath.Join(promDir, "pgtls-targets.json")
	if err := os.WriteFile(sd, []byte(`[{"targets": ["pgbouncer", "postgres"], "labels": {"module": "postgres"}}]`+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", sd, err)
	}
	cfg := filepath.Join(promDir, "prometheus.yml")
	text := dashboards.PrometheusConfig(rules, exporter, sd, 5*time.Second) +
		fmt.Sprintf("alerting:\n  alertmanagers: [{static_configs: [{targets: [%q]}]}]\n", alertmanager)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", cfg, err)
	}
	return startDaemon(ctx, "prometheus", "prometheus", promDir, listen,
		"--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(promDir, "data"))
}

// alertsPage returns the URL of the alerts page of the Prometheus at base
// (http://host:port): the first of /alerts (Prometheus 3, and 2.x builds
// with the React UI) and /classic/alerts (2.x builds without it, such as
// Debian 12's 2.42) that answers 200.
func alertsPage(ctx context.Context, client *http.Client, base string) (string, error) {
	var tried []string
	for _, path := range []string{"/alerts", "/classic/alerts"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return "", fmt.Errorf("alerts page of %s: %w", base, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("alerts page of %s: %w", base, err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return base + path, nil
		}
		tried = append(tried, fmt.Sprintf("%s: %s", path, resp.Status))
	}
	return "", fmt.Errorf("alerts page of %s: none answers 200 (%s)", base, strings.Join(tried, ", "))
}

// firingAlerts waits until Prometheus has evaluated the rules once with data
// (at most limit) and returns the alerts it reports, as "name (state)".
func firingAlerts(ctx context.Context, listen string, limit time.Duration) ([]string, error) {
	deadline := time.Now().Add(limit)
	var settled time.Time // every rule group has run once after the first scrape
	for {
		alerts, err := promAlerts(ctx, listen)
		scraped := len(alerts) > 0
		for _, a := range alerts {
			if a.Labels["alertname"] == "PgTLSExporterAbsent" {
				scraped = false // rules ran before the first scrape
			}
		}
		if scraped && settled.IsZero() {
			settled = time.Now().Add(6 * time.Second)
		}
		if err == nil && !settled.IsZero() && time.Now().After(settled) || time.Now().After(deadline) {
			var out []string
			for _, a := range alerts {
				out = append(out, fmt.Sprintf("%s{source=%q, subject=%q, severity=%q} %s", a.Labels["alertname"],
					a.Labels["source"], a.Labels["subject"], a.Labels["severity"], a.State))
			}
			sort.Strings(out)
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// promAlert is an alert as Prometheus' API lists it.
type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// promAlerts lists the alerts of the Prometheus on listen.
func promAlerts(ctx context.Context, listen string) ([]promAlert, error) {
	body, err := fetch(ctx, "http://"+listen+"/api/v1/alerts")
	if err != nil {
		return nil, err
	}
	var res struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, fmt.Errorf("prometheus alerts: %w", err)
	}
	return res.Data.Alerts, nil
}
