package main

import "testing"

// demoServices are the services the demo starts, as it lists them.
func demoServices() []service {
	return []service{{"PostgreSQL", "127.0.0.1:15625"}, {"PgBouncer", "127.0.0.1:19651"},
		{"the exporter", "http://127.0.0.1:9871/"}, {"Prometheus", "http://127.0.0.1:9090/classic/alerts"}}
}

func TestURLsBlock(t *testing.T) {
	urls := "   Exporter:   http://127.0.0.1:9871/\n" +
		"   Metrics:    http://127.0.0.1:9871/metrics\n" +
		"   Probe:      http://127.0.0.1:9871/probe?target=pgbouncer\n" +
		"   Reload:     curl -X POST http://127.0.0.1:9871/-/reload (--web.enable-lifecycle is on in the demo)\n" +
		"   Prometheus: http://127.0.0.1:9090/classic/alerts (rules from dashboards/alerts.yml)\n"
	for _, tc := range []struct {
		noWait bool
		want   string
	}{
		{false, "\n== URLs, up until Ctrl-C\n" + urls},
		{true, "\n== URLs while the demo runs (--no-wait: they stop right after the alerts below)\n" + urls},
	} {
		if got := urlsBlock(tc.noWait, "127.0.0.1:9871", "http://127.0.0.1:9090/classic/alerts"); got != tc.want {
			t.Errorf("noWait %v:\n%s\nwant\n%s", tc.noWait, got, tc.want)
		}
	}
}

func TestClosing(t *testing.T) {
	for _, tc := range []struct {
		noWait bool
		want   string
	}{
		{true, "\n--no-wait: stopping PostgreSQL, PgBouncer, the exporter and Prometheus now; the URLs above are gone.\n"},
		{false, "\nStill running until Ctrl-C:\n" +
			"   PostgreSQL    127.0.0.1:15625\n" +
			"   PgBouncer     127.0.0.1:19651\n" +
			"   the exporter  http://127.0.0.1:9871/\n" +
			"   Prometheus    http://127.0.0.1:9090/classic/alerts\n" +
			"Press Ctrl-C to stop them all.\n"},
	} {
		if got := closing(tc.noWait, demoServices()); got != tc.want {
			t.Errorf("noWait %v:\n%s\nwant\n%s", tc.noWait, got, tc.want)
		}
	}
}

func TestStopped(t *testing.T) {
	all := demoServices()
	for _, tc := range []struct {
		up   []service
		want string
	}{
		{nil, ""},
		{all[:2], "Stopped PostgreSQL and PgBouncer.\n"},
		{all[:3], "Stopped PostgreSQL, PgBouncer and the exporter.\n"},
		{all, "Stopped PostgreSQL, PgBouncer, the exporter and Prometheus.\n"},
	} {
		if got := stopped(tc.up); got != tc.want {
			t.Errorf("stopped(%d services) = %q, want %q", len(tc.up), got, tc.want)
		}
	}
}
