// Package check is the check command: it loads the configuration, has
// every source inspected once, judges the facts with package rules, renders
// the findings as a Nagios status line with a table or as JSON, and gives
// the exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
package check

import (
	"context"
	"io"
	"time"

	"github.com/magflow/pgtls_exporter/internal/config"
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

// Overrides are thresholds given on the command line; zero keeps the
// configured value.
type Overrides struct {
	WarnBefore time.Duration
	CritBefore time.Duration
}

// Run loads the configuration, inspects everything once, writes the report
// to w and returns the exit code.
func Run(ctx context.Context, w io.Writer, opts Options) int {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	var res rules.Result
	cfg, err := config.Load(opts.ConfigFile)
	if err != nil {
		res = rules.Failed(err)
	} else {
		set := sources.New(cfg, sources.Options{ByDatabaseUser: true})
		defer set.Close()
		if opts.Overrides.WarnBefore > 0 {
			set.Thresholds.WarnBefore = opts.Overrides.WarnBefore
		}
		if opts.Overrides.CritBefore > 0 {
			set.Thresholds.CritBefore = opts.Overrides.CritBefore
		}
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
// that report, collects the sessions, audits the servers and files, reads
// renew's state and the CA rotation's, and judges it all.
func Evaluate(ctx context.Context, set *sources.Set, now time.Time) rules.Result {
	report := set.Inspector.Inspect(now)
	findings := rules.FileFindings(report, set.Thresholds, set.StrictKeyOwners)
	probes := set.Prober.ProbeAll(ctx, report)
	findings = append(findings, rules.ProbeFindings(probes, set.Thresholds, now)...)
	findings = append(findings, SessionFindings(ctx, set)...)
	findings = append(findings, AuditFindings(ctx, set)...)
	findings = append(findings, rules.RenewFindings(set.RenewStateDir(), now)...)
	findings = append(findings, rules.CARotationFindings(set.RenewStateDir(), now, set.RotationMaxAge)...)
	res := rules.Summarize(findings)
	res.Perf = append(rules.ExpiryPerf(report, probes, set.Thresholds, now), rules.CARotationPerf(set.RenewStateDir(), set.Thresholds, now)...)
	return res
}
