package webhook

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestDecisions: each kind of alert gets its answer, its counter and, for
// a fixable firing alert on a configured subject, exactly its renew run.
func TestDecisions(t *testing.T) {
	tests := []struct {
		name   string
		alert  Alert
		status int
		body   string
		run    string // the renew run, "" for none
		series string
	}{
		{"resolved", func() Alert {
			a := alert("f1", "expires_soon", "files", "postgres")
			a.Status = statusResolved
			return a
		}(),
			200, "resolved 1\n", "", `pgtls_webhook_alerts_total{action="renew",result="resolved"} 1`},
		{"a code renew does not fix", alert("f2", "hba_trust_tcp", "audit", "postgres"),
			200, "not_actionable 1\n", "", `pgtls_webhook_alerts_total{action="none",result="not_actionable"} 1`},
		{"a code the rules table does not have", alert("f3", "../../bin/sh", "files", "postgres"),
			200, "not_actionable 1\n", "", `pgtls_webhook_alerts_total{action="none",result="not_actionable"} 1`},
		{"no entry of that name", alert("f4", "expires_soon", "files", "../postgres"),
			200, "unknown_subject 1\n", "", `pgtls_webhook_alerts_total{action="renew",result="unknown_subject"} 1`},
		{"the CA is no entry", alert("f5", "expires_soon", "files", "ca"),
			200, "unknown_subject 1\n", "", `pgtls_webhook_alerts_total{action="renew",result="unknown_subject"} 1`},
		{"a target serving no entry", alert("f6", "expired", "probes", "lonely"),
			200, "unknown_subject 1\n", "", `pgtls_webhook_alerts_total{action="renew",result="unknown_subject"} 1`},
		{"a files subject is an entry, not a target", alert("f7", "expires_soon", "files", "db-primary"),
			200, "unknown_subject 1\n", "", `pgtls_webhook_alerts_total{action="renew",result="unknown_subject"} 1`},
		{"an entry", alert("f8", "expires_soon", "files", "pgbouncer"),
			202, "queued 1\n", "pgbouncer force=false dry_run=false wait=true", `pgtls_webhook_alerts_total{action="renew",result="queued"} 1`},
		{"a target, for the entry it serves", alert("f9", "expires_very_soon", "probes", "db-primary"),
			202, "queued 1\n", "postgres force=false dry_run=false wait=true", `pgtls_webhook_alerts_total{action="renew",result="queued"} 1`},
		{"a served but stale certificate", alert("f10", "stale_certificate", "probes", "db-primary"),
			202, "queued 1\n", "postgres force=true dry_run=false wait=true", `pgtls_webhook_alerts_total{action="reload",result="queued"} 1`},
		{"no source label", alert("f11", "san_missing", "", "replica"),
			202, "queued 1\n", "replica force=false dry_run=false wait=true", `pgtls_webhook_alerts_total{action="renew",result="queued"} 1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, "")
			status, body := post(t, http.MethodPost, s.url+"/alerts", notification(t, "g", tc.alert), "", "")
			if status != tc.status || body != tc.body {
				t.Fatalf("answer %d %q, want %d %q", status, body, tc.status, tc.body)
			}
			var want []string
			if tc.run != "" {
				s.renew.waitRuns(t, 1)
				want = []string{tc.run}
			}
			if got := s.renew.calls(); !slices.Equal(got, want) {
				t.Fatalf("renew runs %q, want %q", got, want)
			}
			got := scrape(t, s.url, "", "", "pgtls_webhook_alerts_total{")
			if !slices.Contains(got, tc.series) {
				t.Fatalf("series:\n%s\nwant %s", strings.Join(got, "\n"), tc.series)
			}
		})
	}
}

// TestDryRun: with webhook.dry_run the entry's renew runs as a dry run,
// and its outcome is exported as dry_run.
func TestDryRun(t *testing.T) {
	s := newTestServer(t, "webhook: {dry_run: true}\n")
	if status, body := post(t, http.MethodPost, s.url+"/alerts", notification(t, "g", alert("f", "expired", "files", "postgres")), "", ""); status != 202 {
		t.Fatalf("%d %s", status, body)
	}
	s.renew.waitRuns(t, 1)
	if got := s.renew.calls(); !slices.Equal(got, []string{"postgres force=false dry_run=true wait=true"}) {
		t.Fatalf("runs %q", got)
	}
	want := []string{`pgtls_webhook_last_run_info{action="renew",name="postgres",result="dry_run"} 1`,
		`pgtls_webhook_renew_runs_total{result="dry_run"} 1`}
	waitSeries(t, s.url, "", "", want...)
}

// waitSeries waits until /metrics serves every line of want.
func waitSeries(t *testing.T, base, user, password string, want ...string) {
	t.Helper()
	for range 100 {
		got := scrape(t, base, user, password, "pgtls_")
		if !slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(got, w) }) {
			return
		}
		sleep()
	}
	t.Fatalf("/metrics lacks some of:\n%s\nit has:\n%s", strings.Join(want, "\n"),
		strings.Join(scrape(t, base, user, password, "pgtls_webhook"), "\n"))
}

// TestNothingDue: a run that exits 0 without renewing the entry (renew
// did not find it due) is nothing_due, not ok: the alert stays firing.
func TestNothingDue(t *testing.T) {
	s := newTestServer(t, "")
	s.renew.mu.Lock()
	s.renew.renewed = []string{} // the run renews nothing
	s.renew.mu.Unlock()
	if status, body := post(t, http.MethodPost, s.url+"/alerts", notification(t, "g", alert("f", "expires_soon", "files", "postgres")), "", ""); status != 202 {
		t.Fatalf("%d %s", status, body)
	}
	s.renew.waitRuns(t, 1)
	waitSeries(t, s.url, "", "", `pgtls_webhook_last_run_info{action="renew",name="postgres",result="nothing_due"} 1`,
		`pgtls_webhook_renew_runs_total{result="nothing_due"} 1`, `pgtls_webhook_renew_runs_total{result="ok"} 0`)
}
