package main

import (
	"fmt"
	"strings"
)

// service is something the demo started and stops when it ends, with
// where it answers.
type service struct{ name, where string }

// urlsBlock lists the exporter's and Prometheus's URLs, under a title that
// says how long they stay up: until Ctrl-C, or with noWait only until the
// demo stops everything after printing the alerts.
func urlsBlock(noWait bool, exporterAddr, prometheusURL string) string {
	title := "== URLs, up until Ctrl-C"
	if noWait {
		title = "== URLs while the demo runs (--no-wait: they stop right after the alerts below)"
	}
	base := "http://" + exporterAddr
	return fmt.Sprintf("\n%s\n"+
		"   Exporter:   %s/\n"+
		"   Metrics:    %s/metrics\n"+
		"   Probe:      %s/probe?target=pgbouncer\n"+
		"   Reload:     curl -X POST %s/-/reload (--web.enable-lifecycle is on in the demo)\n"+
		"   Prometheus: %s (rules from dashboards/alerts.yml)\n", title, base, base, base, base, prometheusURL)
}

// closing is what the demo prints once everything is shown: with noWait,
// that it stops every service now; otherwise each service that stays up
// until Ctrl-C, with where it answers.
func closing(noWait bool, up []service) string {
	if noWait {
		return fmt.Sprintf("\n--no-wait: stopping %s now; the URLs above are gone.\n", names(up))
	}
	var b strings.Builder
	b.WriteString("\nStill running until Ctrl-C:\n")
	for _, s := range up {
		fmt.Fprintf(&b, "   %-12s  %s\n", s.name, s.where)
	}
	b.WriteString("Press Ctrl-C to stop them all.\n")
	return b.String()
}

// stopped is the demo's last line: every service it started has stopped.
func stopped(up []service) string {
	if len(up) == 0 {
		return ""
	}
	return fmt.Sprintf("Stopped %s.\n", names(up))
}

// names lists the services' names in a sentence: "a, b and c".
func names(up []service) string {
	list := make([]string, len(up))
	for i, s := range up {
		list[i] = s.name
	}
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " and " + list[len(list)-1]
}
