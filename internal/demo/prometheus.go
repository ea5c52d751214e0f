package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/dashboards"
)

// startPrometheus runs Debian's Prometheus against the exporter with the
// project's alert rules: /metrics as job pgtls, and every target through
// /probe (file_sd and relabelling, as in the README). It returns a stop
// function.
func startPrometheus(ctx context.Context, dir, exporter, listen, rules string) (func(), error) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		return nil, fmt.Errorf("prometheus server not installed (Debian package prometheus): %w", err)
	}
	promDir := filepath.Join(dir, "prometheus")
	if err := os.MkdirAll(promDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", promDir, err)
	}
	sd := filepath.Join(promDir, "pgtls-targets.json")
	if err := os.WriteFile(sd, []byte(`[{"targets": ["pgbouncer", "postgres"], "labels": {"module": "postgres"}}]`+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", sd, err)
	}
	cfg := filepath.Join(promDir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(dashboards.PrometheusConfig(rules, exporter, sd, 5*time.Second)), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", cfg, err)
	}
	logFile, err := os.Create(filepath.Join(promDir, "prometheus.log"))
	if err != nil {
		return nil, fmt.Errorf("prometheus log: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(promDir, "data"),
		"--web.listen-address="+listen)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		logFile.Close()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + listen + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("prometheus on %s not ready (log: %s)", listen, logFile.Name())
		}
		time.Sleep(200 * time.Millisecond)
	}
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
		var res struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
					State  string            `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+listen+"/api/v1/alerts", nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&res)
			resp.Body.Close()
		}
		scraped := len(res.Data.Alerts) > 0
		for _, a := range res.Data.Alerts {
			if a.Labels["alertname"] == "PgTLSExporterAbsent" {
				scraped = false // rules ran before the first scrape
			}
		}
		if scraped && settled.IsZero() {
			settled = time.Now().Add(6 * time.Second)
		}
		if err == nil && !settled.IsZero() && time.Now().After(settled) || time.Now().After(deadline) {
			var out []string
			for _, a := range res.Data.Alerts {
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
