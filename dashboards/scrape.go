package dashboards

import (
	"fmt"
	"time"
)

// PrometheusConfig is a Prometheus configuration with the alert rules at
// rulesFile and two jobs for one exporter: pgtls scrapes its /metrics, and
// pgtls-probe probes the targets listed in the file_sd file sdFile through
// its /probe (the target becomes the target parameter and the instance label,
// a "module" label the module parameter), the pattern the README documents.
func PrometheusConfig(rulesFile, exporter, sdFile string, interval time.Duration) string {
	return fmt.Sprintf(`global: {scrape_interval: %[5]s, scrape_timeout: %[5]s, evaluation_interval: %[5]s}
rule_files: [%[1]q]
scrape_configs:
  - job_name: pgtls
    static_configs: [{targets: [%[2]q]}]
  - job_name: pgtls-probe
    metrics_path: /probe
    file_sd_configs: [{files: [%[3]q]}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [module], target_label: __param_module}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: %[4]q}
`, rulesFile, exporter, sdFile, exporter, interval.String())
}
