package dashboards

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/rules"
)

var promDS = &Datasource{Type: "prometheus", UID: "${datasource}"}

// Filters used in every query.
const (
	inst   = `instance=~"$instance"`
	byName = `instance=~"$instance",name=~"$name"`
	byTgt  = `instance=~"$instance",target=~"$target"`
	day    = 86400.0
)

func f(v float64) *float64 { return &v }

// builder lays panels out top to bottom on the 24-column grid.
type builder struct {
	panels []Panel
	nextID int
	x, y   int
	rowH   int
}

func (b *builder) row(title string) {
	b.newLine()
	b.nextID++
	collapsed := false
	b.panels = append(b.panels, Panel{ID: b.nextID, Type: "row", Title: title, Collapsed: &collapsed,
		GridPos: GridPos{X: 0, Y: b.y, W: 24, H: 1}})
	b.y++
}

func (b *builder) newLine() {
	if b.x > 0 {
		b.y += b.rowH
		b.x, b.rowH = 0, 0
	}
}

func (b *builder) add(p Panel, w, h int) {
	if b.x+w > 24 {
		b.newLine()
	}
	b.nextID++
	p.ID = b.nextID
	p.GridPos = GridPos{X: b.x, Y: b.y, W: w, H: h}
	p.Datasource = promDS
	for i := range p.Targets {
		p.Targets[i].RefID = string(rune('A' + i))
		p.Targets[i].Datasource = promDS
	}
	b.panels = append(b.panels, p)
	b.x += w
	b.rowH = max(b.rowH, h)
}

func instant(expr, legend string) Target {
	return Target{Expr: expr, LegendFormat: legend, Instant: true, Format: "table"}
}

func series(expr, legend string) Target {
	return Target{Expr: expr, LegendFormat: legend, Range: true}
}

// expiryThresholds colour a remaining time as the rules table's default
// thresholds judge it: red under crit, orange under warn.
func expiryThresholds(warn, crit time.Duration) *Thresholds {
	return &Thresholds{Mode: "absolute", Steps: []ThresholdStep{
		{Color: "red"}, {Color: "orange", Value: f(crit.Seconds())}, {Color: "green", Value: f(warn.Seconds())}}}
}

// thresholdNote says where a panel's colours come from.
func thresholdNote(warn, crit time.Duration) string {
	return fmt.Sprintf(" Colours follow the default thresholds (red under %s, orange under %s); a configuration that sets others alerts on its own, the colours do not follow it.",
		config.DurationText(crit), config.DurationText(warn))
}

// problemThresholds colour a count of failures: green at 0, red above.
func problemThresholds() *Thresholds {
	return &Thresholds{Mode: "absolute", Steps: []ThresholdStep{{Color: "green"}, {Color: "red", Value: f(1)}}}
}

func stat(title, desc, expr, unit string, th *Thresholds) Panel {
	return Panel{Type: "stat", Title: title, Description: desc, Targets: []Target{instant(expr, "")},
		FieldConfig: &FieldConfig{Defaults: FieldDefaults{Unit: unit, Thresholds: th}},
		Options:     map[string]any{"colorMode": "background", "graphMode": "none", "reduceOptions": map[string]any{"calcs": []string{"min"}}}}
}

func table(title, desc string, targets ...Target) Panel {
	return Panel{Type: "table", Title: title, Description: desc, Targets: targets,
		Options: map[string]any{"showHeader": true}}
}

func timeseries(title, desc, unit string, targets ...Target) Panel {
	return Panel{Type: "timeseries", Title: title, Description: desc, Targets: targets,
		FieldConfig: &FieldConfig{Defaults: FieldDefaults{Unit: unit}}}
}

// Build returns the pgtls_exporter dashboard.
func Build() Dashboard {
	policy := rules.DefaultPolicy()
	leaf := expiryThresholds(policy.WarnBefore, policy.CritBefore)
	ca := expiryThresholds(policy.CAWarnBefore, policy.CACritBefore)
	leafNote, caNote := thresholdNote(policy.WarnBefore, policy.CritBefore), thresholdNote(policy.CAWarnBefore, policy.CACritBefore)
	var b builder
	b.row("Expiry")
	b.add(stat("Soonest certificate file expiry", "Time left on the certificate file (CA included) that expires first."+leafNote,
		fmt.Sprintf("min(pgtls_cert_not_after_timestamp_seconds{%s}) - time()", byName), "s", leaf), 6, 5)
	b.add(stat("Soonest served certificate expiry", "Time left on the served leaf certificate that expires first."+leafNote,
		fmt.Sprintf("min(pgtls_probe_cert_not_after_timestamp_seconds{%s}) - time()", byTgt), "s", leaf), 6, 5)
	b.add(stat("CA expiry", "Time left on the configured CA certificate."+caNote,
		fmt.Sprintf(`min(pgtls_cert_not_after_timestamp_seconds{%s,name="ca"}) - time()`, inst), "s", ca), 6, 5)
	b.add(stat("Last successful renew", "Time since pgtls_exporter renew last succeeded.",
		fmt.Sprintf("time() - max(pgtls_renew_last_success_timestamp_seconds{%s})", inst), "s", nil), 6, 5)
	b.add(table("Time to expiry of every certificate file", "Sorted, soonest first.",
		instant(fmt.Sprintf("sort(pgtls_cert_not_after_timestamp_seconds{%s} - time())", byName), "")), 12, 8)
	b.add(table("Time to expiry of served certificates", "Per probed target.",
		instant(fmt.Sprintf("sort(pgtls_probe_cert_not_after_timestamp_seconds{%s} - time())", byTgt), "")), 12, 8)

	b.row("Problems")
	for _, sev := range []struct{ title, severity, desc string }{
		{"Critical problems", rules.Critical.Label(), "Problems whose code the rules table rates critical: servers or clients fail now or soon."},
		{"Warnings", rules.Warning.Label(), "Problems whose code the rules table rates warning."},
		{"Unknown", rules.Unknown.Label(), "Findings that could not be judged (a source or file that could not be read)."},
	} {
		b.add(stat(sev.title, sev.desc, fmt.Sprintf(`count(pgtls_problem{%s,severity="%s"} == 1) or vector(0)`, inst, sev.severity),
			"none", problemThresholds()), 8, 4)
	}
	b.add(table("Current problems and their reasons",
		"Every current problem: source, subject (entry, target or server) and code; RUNBOOK.md has a section per code.",
		instant(fmt.Sprintf("pgtls_problem{%s} == 1", inst), "")), 16, 9)
	b.add(table("Why probes fail", "Phase and code of every target without a TLS session.",
		instant(fmt.Sprintf("pgtls_probe_failure_info{%s} == 1", byTgt), "")), 8, 9)

	b.row("Live handshakes")
	b.add(timeseries("Probe success", "1 when a TLS session was established.", "none",
		series(fmt.Sprintf("pgtls_probe_success{%s}", byTgt), "{{instance}} {{target}}")), 12, 8)
	b.add(timeseries("Handshake time", "Connect, negotiation and TLS handshake.", "s",
		series(fmt.Sprintf("pgtls_probe_duration_seconds{%s}", byTgt), "{{instance}} {{target}}")), 12, 8)
	b.add(table("TLS versions and ciphers", "What each target negotiated.",
		instant(fmt.Sprintf("pgtls_probe_tls_version_info{%s}", byTgt), ""),
		instant(fmt.Sprintf("pgtls_probe_cipher_info{%s}", byTgt), "")), 24, 7)
	b.add(table("Versions the servers accept (TLS scan)", "Protocol versions each target completed a hello for in its last scan (scan.interval), whatever its settings say; old_tls_accepted alerts on those older than the policy's minimum.",
		instant(fmt.Sprintf("pgtls_scan_version_accepted{%s} == 1", byTgt), ""),
		instant(fmt.Sprintf("count by (instance, target, version) (pgtls_scan_cipher_accepted{%s})", byTgt), "")), 24, 7)

	b.row("Sessions")
	b.add(timeseries("PostgreSQL client sessions by TLS", "From pg_stat_ssl joined with pg_stat_activity (client backends).", "none",
		series(fmt.Sprintf("sum by (instance, server, ssl, version) (pgtls_pg_stat_ssl_connections{%s})", inst), "{{server}} ssl={{ssl}} {{version}}")), 12, 8)
	b.add(timeseries("Plaintext sessions", "PostgreSQL sessions without TLS and PgBouncer connections without TLS (socket clients excluded).", "none",
		series(fmt.Sprintf(`sum by (instance, server) (pgtls_pg_stat_ssl_connections{%s,ssl="false"})`, inst), "postgres {{server}}"),
		series(fmt.Sprintf(`sum by (instance, server, side) (pgtls_pgbouncer_connections{%s,tls="false"})`, inst), "pgbouncer {{server}} {{side}}")), 12, 8)
	b.add(timeseries("PgBouncer connections by TLS", "Client and server side, from SHOW CLIENTS / SHOW SERVERS.", "none",
		series(fmt.Sprintf("sum by (instance, server, side, tls, version) (pgtls_pgbouncer_connections{%s})", inst), "{{server}} {{side}} tls={{tls}} {{version}}")), 24, 8)

	b.row("TLS posture audit")
	b.add(stat("Audit problems", "What the servers allow that the policy calls weak: plaintext or trust pg_hba rules, TLS off or old, weak ciphers and authentication, unwatched TLS files.",
		fmt.Sprintf(`count(pgtls_problem{%s,source="audit"} == 1) or vector(0)`, inst), "none", problemThresholds()), 6, 4)
	b.add(stat("Acknowledged audit findings", "Findings acknowledged in audit.acknowledge: visible, not alerting.",
		fmt.Sprintf("count(pgtls_audit_acknowledged_info{%s}) or vector(0)", inst), "none", nil), 6, 4)
	b.add(table("Acknowledged findings and their reasons", "audit.acknowledge entries that cover a current finding.",
		instant(fmt.Sprintf("pgtls_audit_acknowledged_info{%s}", inst), "")), 12, 4)
	b.add(table("Current audit problems", "Every audit problem by subject and code; check shows the file and line of each.",
		instant(fmt.Sprintf(`pgtls_problem{%s,source="audit"} == 1`, inst), "")), 12, 8)
	b.add(table("TLS settings as audited", "ssl, ssl_min_protocol_version, ssl_ciphers, password_encryption; PgBouncer's TLS modes, protocols, ciphers and auth_type.",
		instant(fmt.Sprintf("pgtls_audit_setting_info{%s}", inst), "")), 12, 8)
	b.add(table("TLS files the servers read", "Certificate, key, CA and CRL files as each server names them, and the configured entry each one is (empty: unwatched).",
		instant(fmt.Sprintf("pgtls_audit_tls_file_info{%s}", inst), "")), 24, 7)

	b.row("Renew and exporter health")
	b.add(timeseries("Renew runs", "Last run and last success of pgtls_exporter renew.", "dateTimeAsIso",
		series(fmt.Sprintf("pgtls_renew_last_run_timestamp_seconds{%s} * 1000", inst), "last run {{instance}}"),
		series(fmt.Sprintf("pgtls_renew_last_success_timestamp_seconds{%s} * 1000", inst), "last success {{instance}}")), 12, 8)
	b.add(table("Renew result per entry", "What the last pgtls_exporter renew did to each entry (1 = current result), and how the run ended.",
		instant(fmt.Sprintf("pgtls_renew_entry_last_result{%s} == 1", inst), ""),
		instant(fmt.Sprintf("pgtls_renew_last_exit_code{%s}", inst), ""),
		instant(fmt.Sprintf("pgtls_renew_last_outcome{%s} == 1", inst), "")), 12, 8)
	b.add(timeseries("Collector health", "1 when a source (files, probes, sessions, renew state) worked.", "none",
		series(fmt.Sprintf("pgtls_scrape_collector_success{%s}", inst), "{{instance}} {{collector}}")), 6, 8)
	b.add(timeseries("Collector time", "Time each source took per scrape.", "s",
		series(fmt.Sprintf("pgtls_scrape_collector_duration_seconds{%s}", inst), "{{instance}} {{collector}}")), 6, 8)

	return Dashboard{
		UID: "pgtls-exporter", Title: "PgBouncer and PostgreSQL TLS",
		Description: "pgtls_exporter: certificate files, served certificates, TLS sessions and renewals.",
		Tags:        []string{"postgresql", "pgbouncer", "tls", "pgtls_exporter"}, Timezone: "browser",
		SchemaVersion: 39, Refresh: "1m", Time: TimeRange{From: "now-24h", To: "now"}, Editable: true,
		Templating: Templating{List: []Variable{
			{Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus"},
			labelVar("instance", "Exporter", "label_values(pgtls_exporter_build_info, instance)"),
			labelVar("name", "Certificate entry", `label_values(pgtls_cert_not_after_timestamp_seconds{instance=~"$instance"}, name)`),
			labelVar("target", "Probe target", `label_values(pgtls_probe_success{instance=~"$instance"}, target)`),
		}},
		Panels: b.panels,
	}
}

func labelVar(name, label, query string) Variable {
	return Variable{Name: name, Label: label, Type: "query", Datasource: promDS, Refresh: 2, IncludeAll: true,
		Multi: true, AllValue: ".*", Sort: 1, Current: map[string]any{"text": "All", "value": "$__all"},
		Query: map[string]any{"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"}}
}

// JSON renders the dashboard as indented JSON with a final newline.
func JSON() ([]byte, error) {
	out, err := json.MarshalIndent(Build(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode dashboard: %w", err)
	}
	return append(out, '\n'), nil
}
