package collector

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/audit"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

var (
	problemFamily = newFamily(Namespace+"_problem",
		"A current problem (absent when healthy); code and severity come from the rules table.",
		"source", "subject", "code", "severity")
	probeFailure = newFamily(Namespace+"_probe_failure_info",
		"Why a probe established no TLS session: the phase it stopped in and the problem code.",
		"target", "phase", "code")
)

// problemMetrics exports the problems among findings as pgtls_problem,
// one series per source, subject and code however many rows share them.
func problemMetrics(findings []rules.Finding) []prometheus.Metric {
	return metrics(problemSamples(findings))
}

// problemSamples are problemMetrics' samples.
func problemSamples(findings []rules.Finding) []sample {
	var out []sample
	seen := map[[3]string]bool{}
	for _, f := range findings {
		if !f.Problem() {
			continue
		}
		key := [3]string{string(f.Source), f.Entry, string(f.Code)}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, sample{&problemFamily, 1, []string{key[0], key[1], key[2], f.Status.Label()}})
	}
	return out
}

// FromSources returns the collector of every source in set: files,
// probes, renew's state, the CA rotation, each session server, the audit
// of each session server, and the audit of the configured files; and the
// file source apart, which the server warms at start-up.
func FromSources(set *sources.Set, logger *slog.Logger) ([]Source, *Files) {
	files := NewFiles(set.Inspector, set.Policy, logger)
	out := []Source{
		files,
		NewProbes(set.Prober, set.Inspector, set.Policy, logger),
		NewRenew(set.RenewStateDir(), logger),
		NewCARotation(set.RenewStateDir(), set.RotationMaxAge, logger),
	}
	if len(set.Config.Targets) > 0 {
		out = append(out, NewScans(set.Scanner, set.Policy))
	}
	for _, p := range set.Postgres {
		out = append(out, NewPostgresSessions(p, set.Policy))
	}
	for _, b := range set.PgBouncer {
		out = append(out, NewPgBouncerSessions(b, b.ExpectServerTLS(), set.Policy))
	}
	var audited []audit.Target
	for _, t := range set.Audit {
		if t.Kind() == audit.KindPostgres || t.Kind() == audit.KindPgBouncer {
			out = append(out, NewAudit("audit/"+t.Subject(), []audit.Target{t}, set.Policy, set.Acknowledge, set.Scanner.Last))
		} else {
			audited = append(audited, t)
		}
	}
	if len(audited) > 0 {
		out = append(out, NewAudit("audit/files", audited, set.Policy, set.Acknowledge, set.Scanner.Last))
	}
	return out, files
}
