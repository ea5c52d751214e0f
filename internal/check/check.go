// Package check is the check command: it loads the configuration, has
// every source inspected once, judges the facts with package rules, renders
// the findings as a Nagios status line with a table or as JSON, and gives
// the exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
package check

import (
	"context"
	"io"
	"time"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// Options configure one run of the check command.
type Options struct {
	ConfigFile string
	// Overrides replaces the configured leaf expiry thresholds where set
	// (the --warn-before and --crit-before flags).
	Overrides Overrides
	// Output is "text" or "json".
	Output string
	Now    time.Time
}

// Overrides are thresholds given on the command line, as written ("5d");
// empty keeps the configured value. They are validated as the YAML's are.
type Overrides struct {
	WarnBefore string
	CritBefore string
}

// Run loads the configuration, inspects everything once, writes the report
// to w and returns the exit code.
func Run(ctx context.Context, w io.Writer, opts Options) int {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	var res rules.Result
	cfg, err := rules.Load(opts.ConfigFile)
	if err == nil {
		err = cfg.OverrideThresholds(opts.Overrides.WarnBefore, opts.Overrides.CritBefore)
	}
	if err != nil {
		res = rules.Failed(err)
	} else {
		set := sources.New(cfg, sources.Options{ByDatabaseUser: true})
		defer set.Close()
		res = Evaluate(ctx, set, opts.Now)
	}
	render := WriteText
	if opts.Output == "json" {
		render = WriteJSON
	}
	if err := render(w, res); err != nil {
		return int(rules.Unknown)
	}
	return res.ExitCode
}

// Evaluate inspects every file of set once, probes every target against
// that report, scans what every target accepts, collects the sessions, audits the servers and files, reads
// renew's state and the CA rotation's, and judges it all.
func Evaluate(ctx context.Context, set *sources.Set, now time.Time) rules.Result {
	report := set.Inspector.Inspect(now)
	findings := rules.FileFindings(report, set.Policy)
	probes := set.Prober.ProbeAll(ctx, report)
	findings = append(findings, rules.ProbeFindings(probes, set.Policy, now)...)
	scanned := set.Scanner.ScanAll(ctx)
	for _, r := range scanned {
		findings = append(findings, rules.ScanFindings(r, set.Policy)...)
	}
	findings = append(findings, SessionFindings(ctx, set)...)
	findings = append(findings, AuditFindings(ctx, set, scanned)...)
	findings = append(findings, rules.RenewFindings(set.RenewStateDir(), now)...)
	findings = append(findings, rules.CARotationFindings(set.RenewStateDir(), now, set.RotationMaxAge)...)
	res := rules.Summarize(findings)
	res.Scans = rules.ScanTable(scanned, set.Policy)
	res.Perf = append(rules.ExpiryPerf(report, probes, set.Policy, now), rules.CARotationPerf(set.RenewStateDir(), set.Policy, now)...)
	return res
}
