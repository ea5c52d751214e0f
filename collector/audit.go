package collector

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/audit"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/scans"
)

var (
	auditSettingDesc = prometheus.NewDesc(Namespace+"_audit_setting_info",
		"A TLS or authentication setting of an audited server or file, as the audit judged it.",
		[]string{"subject", "setting", "value"}, nil)
	auditFileDesc = prometheus.NewDesc(Namespace+"_audit_tls_file_info",
		"A certificate, key, CA or CRL file a server reads, as the server names it; entry is the configured entry it is (empty: none).",
		[]string{"subject", "setting", "path", "entry", "visible"}, nil)
	auditAcknowledgedDesc = prometheus.NewDesc(Namespace+"_audit_acknowledged_info",
		"An acknowledged audit finding: it stays visible here and in check, and is not exported as pgtls_problem.",
		[]string{"subject", "code", "match", "reason"}, nil)
)

// Audit exports the TLS posture audit of some subjects: their problems
// (acknowledged ones apart), judged settings and TLS files.
type Audit struct {
	name    string
	targets []audit.Target
	policy  rules.Policy
	acks    []config.Acknowledgement
	scanned func() []scans.Report
}

// NewAudit returns the audit source named name over targets; scanned
// (nil: none) gives the targets' last TLS scans, which say whether a
// server really accepts what its settings allow.
func NewAudit(name string, targets []audit.Target, policy rules.Policy, acks []config.Acknowledgement, scanned func() []scans.Report) *Audit {
	return &Audit{name: name, targets: targets, policy: policy, acks: acks, scanned: scanned}
}

// Name implements Source.
func (a *Audit) Name() string { return a.name }

// Update implements Source: it fails when a server could not be read.
func (a *Audit) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	facts := make([]*audit.Facts, len(a.targets))
	var wg sync.WaitGroup
	for i, t := range a.targets {
		wg.Go(func() { facts[i] = t.Collect(ctx) })
	}
	wg.Wait()
	var errs []error
	var reports []scans.Report
	if a.scanned != nil {
		reports = a.scanned()
	}
	for _, f := range facts {
		findings, acked := rules.JudgeAudit(f, a.policy, a.acks, reports)
		for _, m := range slices.Concat(auditMetrics(f, acked), problemMetrics(findings)) {
			ch <- m
		}
		errs = append(errs, f.Err)
	}
	return errors.Join(errs...)
}

// auditMetrics are a subject's settings, files and acknowledged findings.
func auditMetrics(f *audit.Facts, acked []rules.Acknowledged) []prometheus.Metric {
	var ms []prometheus.Metric
	for _, name := range slices.Sorted(maps.Keys(f.Settings)) {
		if !audit.IsPathSetting(name) {
			ms = append(ms, gauge(auditSettingDesc, 1, f.Subject, name, f.Settings[name].Value))
		}
	}
	for _, file := range f.Files {
		ms = append(ms, gauge(auditFileDesc, 1, f.Subject, file.Setting, file.Path, file.Entry, strconv.FormatBool(file.Visible)))
	}
	for _, a := range acked {
		ms = append(ms, gauge(auditAcknowledgedDesc, 1, a.Subject, string(a.Code), a.Match, a.Reason))
	}
	return ms
}
