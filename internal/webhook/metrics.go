package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/renew"
)

// metrics are the webhook's own series.
type metrics struct {
	alerts      *prometheus.CounterVec
	runs        *prometheus.CounterVec
	lastRun     *prometheus.GaugeVec
	lastRunTime prometheus.Gauge
}

// newMetrics registers the webhook's series, the build and process
// collectors, and renew (the pgtls_renew_* series of renew's state
// folder, with their problems) on reg.
func newMetrics(reg prometheus.Registerer, renewState prometheus.Collector) *metrics {
	m := &metrics{
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: collector.Namespace, Name: "webhook_alerts_total",
			Help: "Alerts received, by the action their code calls for and what became of them."}, []string{"action", "result"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: collector.Namespace, Name: "webhook_renew_runs_total",
			Help: "Renew runs the webhook made, by outcome."}, []string{"result"}),
		lastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: collector.Namespace, Name: "webhook_last_run_info",
			Help: "The webhook's last renew run: the entry, the action and the outcome (value 1)."}, []string{"name", "action", "result"}),
		lastRunTime: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: collector.Namespace, Name: "webhook_last_run_timestamp_seconds",
			Help: "When the webhook's last renew run ended."}),
	}
	for _, r := range []string{runResult(renew.ExitOK, false), runResult(renew.ExitRolledBack, false), runResult(renew.ExitBroken, false),
		runResult(renew.ExitRefused, false), resultNothingDue} {
		m.runs.WithLabelValues(r)
	}
	for _, a := range []Action{ActionRenew, ActionReload} {
		m.alerts.WithLabelValues(string(a), string(ResultQueued))
	}
	reg.MustRegister(m.alerts, m.runs, m.lastRun, m.lastRunTime, renewState,
		versioncollector.NewCollector("pgtls_exporter"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ran records a finished run.
func (m *metrics) ran(j job, result string, endedUnix float64) {
	m.runs.WithLabelValues(result).Inc()
	m.lastRun.Reset()
	m.lastRun.WithLabelValues(j.entry, string(j.action), result).Set(1)
	m.lastRunTime.Set(endedUnix)
}
