package check

import (
	"context"
	"io"
	"time"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/targets"
)

// Options configure one run of the check command.
type Options struct {
	ConfigFile string
	Thresholds Thresholds
	// Output is "text" or "json".
	Output string
	Now    time.Time
}

// Run loads the configuration, inspects everything once, writes the report
// to w and returns the exit code.
func Run(ctx context.Context, w io.Writer, opts Options) int {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	var res Result
	cfg, err := config.Load(opts.ConfigFile)
	if err != nil {
		res = Failed(err)
	} else {
		res = Summarize(Evaluate(ctx, cfg, opts.Thresholds, opts.Now))
	}
	render := WriteText
	if opts.Output == "json" {
		render = WriteJSON
	}
	if err := render(w, res); err != nil {
		return int(Unknown)
	}
	return res.ExitCode
}

// Evaluate inspects everything cfg names, probes every target, and returns
// the findings.
func Evaluate(ctx context.Context, cfg *config.Config, th Thresholds, now time.Time) []Finding {
	strict := map[string]bool{}
	for _, e := range cfg.Certificates {
		strict[e.Name] = e.KeyOwner != ""
	}
	report := inspect.New(cfg, 0).Inspect(now)
	findings := FileFindings(report, th, strict)
	probes := targets.New(cfg).ProbeAll(ctx, report)
	findings = append(findings, ProbeFindings(probes, th, now)...)
	findings = append(findings, SessionFindings(ctx, cfg)...)
	return append(findings, RenewFindings(cfg.RenewStateDir(), now)...)
}
