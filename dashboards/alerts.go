package dashboards

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/magflow/pgtls_exporter/internal/rules"
)

// RunbookBase is where the alerts' runbook_url annotations point.
const RunbookBase = "https://github.com/magflow/pgtls_exporter/blob/main/dashboards/RUNBOOK.md#"

// AlertRule is one Prometheus alerting rule.
type AlertRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations"`
}

// AlertGroup is a named group of rules.
type AlertGroup struct {
	Name  string      `yaml:"name"`
	Rules []AlertRule `yaml:"rules"`
}

// MetaAlert is an alert about the exporter itself rather than a problem it
// reports, with its runbook text.
type MetaAlert struct {
	Rule    AlertRule
	Runbook string
}

// ProblemAlert is the alert of one rule: it fires while the exporter
// reports the code, with the problem's own severity label, so the alert,
// the exported severity and check always agree.
func ProblemAlert(r rules.Rule) AlertRule {
	a := AlertRule{
		Alert: r.Alert(),
		Expr:  fmt.Sprintf(`pgtls_problem{code=%q} == 1`, r.Code),
		Annotations: map[string]string{
			"summary":     fmt.Sprintf("{{ $labels.code }}: %s", strings.TrimSuffix(r.Summary, ".")),
			"description": fmt.Sprintf("%s {{ $labels.subject }} ({{ $labels.source }}) on {{ $labels.instance }}: %s %s", r.Code, r.Summary, r.Action),
			"runbook_url": RunbookBase + strings.ToLower(r.Alert()),
		},
	}
	if r.For != "" && r.For != "0m" {
		a.For = r.For
	}
	return a
}

// MetaAlerts are the alerts about the exporter itself.
func MetaAlerts() []MetaAlert {
	meta := func(name, expr, forDur, severity, summary, description, runbook string) MetaAlert {
		return MetaAlert{Rule: AlertRule{Alert: name, Expr: expr, For: forDur, Labels: map[string]string{"severity": severity},
			Annotations: map[string]string{"summary": summary, "description": description,
				"runbook_url": RunbookBase + strings.ToLower(name)}}, Runbook: runbook}
	}
	return []MetaAlert{
		meta("PgTLSExporterAbsent", "absent(pgtls_exporter_build_info)", "10m", rules.Critical.Label(),
			"No pgtls_exporter is scraped", "Without it no TLS alert can fire.",
			"Prometheus scrapes no exporter: is the exporter running (`/-/healthy`) and does the scrape job reach it (Prometheus' targets page)?"),
		meta("PgTLSExporterSourceDown", "pgtls_scrape_collector_success == 0", "10m", rules.Warning.Label(),
			"pgtls_exporter source {{ $labels.collector }} fails on {{ $labels.instance }}",
			"Its metrics are missing or stale; its problem (pgtls_problem, e.g. session_source_failed) and the exporter log say why.",
			"A source failed as a whole: a renew state file it cannot read, or a session server it cannot query. `pgtls_exporter check` shows the reason as a finding."),
		meta("PgTLSConfigReloadFailed", "pgtls_config_last_reload_successful == 0", "5m", rules.Warning.Label(),
			"pgtls_exporter on {{ $labels.instance }} runs an old configuration",
			"The last configuration reload failed; the running configuration stays in force. Validate with pgtls_exporter --config.check.",
			"Run `pgtls_exporter --config.file FILE serve --config.check`: it names the field and line. Fix the file and send SIGHUP again."),
		meta("PgTLSRenewStale",
			`max by (instance) (pgtls_problem{source="files",code=~"expires_very_soon|expired"}) and on (instance) (time() - max by (instance) (pgtls_renew_last_run_timestamp_seconds) > 86400)`,
			"1h", rules.Warning.Label(),
			"Certificates on {{ $labels.instance }} expire within the critical threshold and renew has not run for a day",
			"The expiry alert's runbook step (pgtls_exporter renew) has not been run.",
			"Run `pgtls_exporter renew`, or check the timer or cron job that should run it."),
	}
}

// AlertGroups are every alert rule: one per problem code, then the
// alerts about the exporter itself.
func AlertGroups() []AlertGroup {
	problems := AlertGroup{Name: "pgtls-problems"}
	for _, r := range rules.Table() {
		problems.Rules = append(problems.Rules, ProblemAlert(r))
	}
	exporter := AlertGroup{Name: "pgtls-exporter"}
	for _, m := range MetaAlerts() {
		exporter.Rules = append(exporter.Rules, m.Rule)
	}
	return []AlertGroup{problems, exporter}
}

// AlertsYAML is dashboards/alerts.yml.
func AlertsYAML() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# Prometheus alert rules for pgtls_exporter, generated from the rules table\n" +
		"# (internal/rules) by `go run ./dashboards/cmd/generate`: do not edit.\n" +
		"# A problem alert carries the severity the exporter reported (pgtls_problem's\n" +
		"# severity label); every alert links to its runbook section.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(map[string][]AlertGroup{"groups": AlertGroups()}); err != nil {
		return nil, fmt.Errorf("encode alert rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode alert rules: %w", err)
	}
	return buf.Bytes(), nil
}

// Runbook is dashboards/RUNBOOK.md: a section per alert.
func Runbook() []byte {
	var b strings.Builder
	b.WriteString(`# pgtls_exporter runbook

Generated from the rules table (internal/rules) by ` + "`go run ./dashboards/cmd/generate`" + `: do not edit.

Every alert in ` + "`alerts.yml`" + ` links here. A problem alert is named after its code
(` + "`expires_soon`" + ` → PgTLSExpiresSoon) and carries the severity the exporter reported.
First step for all of them: confirm on the host that runs the exporter with

` + "```sh\npgtls_exporter check --config.file /etc/pgtls_exporter/config.yml\n```" + `

Its first line is the Nagios status line; the table lists every finding with its code
(the alert's ` + "`code`" + ` label) and detail, and it exits 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
Findings, metrics and alerts come from the same rules table.

An audit finding (source ` + "`audit`" + `) that is accepted for a while can be acknowledged in the
configuration (` + "`audit.acknowledge`" + `: code, subject, match, reason): it stays in ` + "`check`" + ` as ACK
and in ` + "`pgtls_audit_acknowledged_info`" + `, and is no longer exported as ` + "`pgtls_problem`" + `, so
its alert stops.
`)
	for _, r := range rules.Table() {
		fmt.Fprintf(&b, "\n## %s\nCode `%s`, severity %s, reported by %s.\n%s\n**Confirm:** `check` shows code `%s`.\n**Fix:** %s\n",
			r.Alert(), r.Code, r.Severity.Label(), sourceList(r.Sources), r.Summary, r.Code, r.Action)
		if r.Renew {
			b.WriteString("`pgtls_exporter renew` treats an entry with this problem as due.\n")
		}
	}
	for _, m := range MetaAlerts() {
		fmt.Fprintf(&b, "\n## %s\nSeverity %s. %s\n%s\n", m.Rule.Alert, m.Rule.Labels["severity"], m.Rule.Annotations["summary"], m.Runbook)
	}
	return []byte(b.String())
}

func sourceList(ss []rules.Source) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " and ")
}
