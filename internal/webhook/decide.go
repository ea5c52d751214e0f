package webhook

import (
	"slices"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/rules"
)

// Action is what the webhook does about an alert's code.
type Action string

// Actions.
const (
	// ActionRenew renews the entry: a code renew treats as due.
	ActionRenew Action = "renew"
	// ActionReload has the entry served again: stale_certificate, where
	// the file is right and the server serves another certificate.
	ActionReload Action = "reload"
	// ActionNone: renew does not fix the code.
	ActionNone Action = "none"
)

// Result is what became of an alert: the result label of
// pgtls_webhook_alerts_total.
type Result string

// Results of an alert.
const (
	ResultQueued         Result = "queued"
	ResultDuplicate      Result = "duplicate"
	ResultMinInterval    Result = "min_interval"
	ResultRateLimited    Result = "rate_limited"
	ResultNotActionable  Result = "not_actionable"
	ResultUnknownSubject Result = "unknown_subject"
	ResultResolved       Result = "resolved"
)

// results lists every Result in the order a response counts them.
func results() []Result {
	return []Result{ResultQueued, ResultDuplicate, ResultMinInterval, ResultRateLimited,
		ResultNotActionable, ResultUnknownSubject, ResultResolved}
}

// Codes are the problem codes the webhook acts on, in the rules table's
// order: every code renew treats as due, and stale_certificate. The
// README's Alertmanager route matches exactly these.
func Codes() []rules.Code {
	var out []rules.Code
	for _, r := range rules.Table() {
		if actionOf(r.Code) != ActionNone {
			out = append(out, r.Code)
		}
	}
	return out
}

// actionOf is the action for a code: renew for the codes renew treats
// as due, reload for stale_certificate, none for the others and for a
// code the rules table does not have.
func actionOf(code rules.Code) Action {
	if code == rules.StaleCertificate {
		return ActionReload
	}
	if r, ok := rules.Lookup(code); ok && r.Renew {
		return ActionRenew
	}
	return ActionNone
}

// decision is what the webhook makes of one alert before admission: an
// action on a configured entry, or a result that ends there.
type decision struct {
	action Action
	// entry is the configured certificate entry to act on.
	entry string
	// result is set when the alert ends here (resolved, not actionable,
	// unknown subject), empty when the entry is to be admitted.
	result Result
}

// decide judges an alert against the configuration. Its labels are only
// compared with configured names.
func decide(cfg *config.Config, a Alert) decision {
	d := decision{action: actionOf(rules.Code(a.Labels["code"]))}
	switch {
	case a.Status == statusResolved:
		d.result = ResultResolved
	case d.action == ActionNone:
		d.result = ResultNotActionable
	default:
		entry, ok := entryOf(cfg, a.Labels["source"], a.Labels["subject"])
		if !ok {
			d.result = ResultUnknownSubject
		}
		d.entry = entry
	}
	return d
}

// entryOf maps an alert's subject to the configured certificate entry it
// concerns: for source files the entry of that name, for source probes
// the entry the target of that name serves (targets[].certificate), and
// without a source either, the entry first. The CA ("ca") is no entry:
// renew never replaces it on its own.
func entryOf(cfg *config.Config, source, subject string) (string, bool) {
	byEntry := func() (string, bool) {
		if e, ok := cfg.CertificateByName(subject); ok {
			return e.Name, true
		}
		return "", false
	}
	byTarget := func() (string, bool) {
		i := slices.IndexFunc(cfg.Targets, func(t config.Target) bool { return t.Name == subject })
		if i < 0 || cfg.Targets[i].Certificate == "" {
			return "", false
		}
		e, ok := cfg.CertificateByName(cfg.Targets[i].Certificate)
		return e.Name, ok
	}
	switch rules.Source(source) {
	case rules.SourceFiles:
		return byEntry()
	case rules.SourceProbes:
		return byTarget()
	case "":
		if name, ok := byEntry(); ok {
			return name, true
		}
		return byTarget()
	}
	return "", false
}
