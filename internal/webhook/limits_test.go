package webhook

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func sleep() { time.Sleep(50 * time.Millisecond) }

// TestOneRunForRepeatedDeliveries: the same alert delivered 20 times,
// and by a second group as the probe of a target serving the same entry,
// while the run is under way, makes one renew run; the repeats are
// duplicates.
func TestOneRunForRepeatedDeliveries(t *testing.T) {
	s := newTestServer(t, "")
	s.renew.release = make(chan struct{})
	fileAlert := alert("aaa", "expires_soon", "files", "postgres")
	status, body := post(t, http.MethodPost, s.url+"/alerts", notification(t, "group-files", fileAlert), "", "")
	if status != http.StatusAccepted || body != "queued 1\n" {
		t.Fatalf("first delivery: %d %q", status, body)
	}
	for i := range 19 {
		if status, body := post(t, http.MethodPost, s.url+"/alerts", notification(t, "group-files", fileAlert), "", ""); status != 200 || body != "duplicate 1\n" {
			t.Fatalf("delivery %d: %d %q", i+2, status, body)
		}
	}
	probeAlert := alert("bbb", "expires_soon", "probes", "db-primary")
	if status, body := post(t, http.MethodPost, s.url+"/alerts", notification(t, "group-probes", probeAlert, fileAlert), "", ""); status != 200 || body != "duplicate 2\n" {
		t.Fatalf("second group: %d %q", status, body)
	}
	close(s.renew.release)
	s.renew.waitRuns(t, 1)
	waitSeries(t, s.url, "", "", `pgtls_webhook_renew_runs_total{result="ok"} 1`) // the run has ended
	if status, body := post(t, http.MethodPost, s.url+"/alerts", notification(t, "group-files", fileAlert), "", ""); status != 200 || body != "min_interval 1\n" {
		t.Fatalf("after the run: %d %q", status, body)
	}
	if got := s.renew.calls(); !slices.Equal(got, []string{"postgres force=false dry_run=false wait=true"}) {
		t.Fatalf("renew runs %q, want one", got)
	}
	waitSeries(t, s.url, "", "",
		`pgtls_webhook_alerts_total{action="renew",result="queued"} 1`,
		`pgtls_webhook_alerts_total{action="renew",result="duplicate"} 21`,
		`pgtls_webhook_alerts_total{action="renew",result="min_interval"} 1`,
		`pgtls_webhook_renew_runs_total{result="ok"} 1`)
}

// TestMinInterval: an entry is acted on again only min_interval after its
// last run ended, whatever that run's outcome.
func TestMinInterval(t *testing.T) {
	s := newTestServer(t, "webhook: {min_interval: 30m}\n")
	s.renew.code = 1 // rolled back
	deliver := func() (int, string) {
		return post(t, http.MethodPost, s.url+"/alerts", notification(t, "g", alert("f", "expires_soon", "files", "replica")), "", "")
	}
	if status, body := deliver(); status != 202 || body != "queued 1\n" {
		t.Fatalf("first: %d %q", status, body)
	}
	s.renew.waitRuns(t, 1)
	waitSeries(t, s.url, "", "", `pgtls_webhook_renew_runs_total{result="rolled_back"} 1`)
	s.clock.advance(29*time.Minute + 59*time.Second)
	if status, body := deliver(); status != 200 || body != "min_interval 1\n" {
		t.Fatalf("within min_interval: %d %q", status, body)
	}
	s.clock.advance(time.Second)
	if status, body := deliver(); status != 202 || body != "queued 1\n" {
		t.Fatalf("after min_interval: %d %q", status, body)
	}
	s.renew.waitRuns(t, 1)
	if got := len(s.renew.calls()); got != 2 {
		t.Fatalf("%d runs, want 2", got)
	}
}

// TestMaxPerHour: at most max_per_hour actions in any hour, over all
// entries.
func TestMaxPerHour(t *testing.T) {
	s := newTestServer(t, "webhook: {max_per_hour: 2, min_interval: 1m}\n")
	deliver := func(entry string) string {
		_, body := post(t, http.MethodPost, s.url+"/alerts", notification(t, "g", alert(entry, "expired", "files", entry)), "", "")
		return body
	}
	if got := []string{deliver("postgres"), deliver("pgbouncer"), deliver("replica")}; !slices.Equal(got, []string{"queued 1\n", "queued 1\n", "rate_limited 1\n"}) {
		t.Fatalf("answers %q", got)
	}
	s.renew.waitRuns(t, 2)
	s.clock.advance(59 * time.Minute)
	if got := deliver("replica"); got != "rate_limited 1\n" {
		t.Fatalf("within the hour: %q", got)
	}
	s.clock.advance(time.Minute)
	if got := deliver("replica"); got != "queued 1\n" {
		t.Fatalf("an hour later: %q", got)
	}
	s.renew.waitRuns(t, 1)
	waitSeries(t, s.url, "", "", `pgtls_webhook_alerts_total{action="renew",result="rate_limited"} 2`,
		`pgtls_webhook_alerts_total{action="renew",result="queued"} 3`)
}
