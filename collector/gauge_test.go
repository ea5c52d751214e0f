package collector

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// TestGaugeSurvivesBadLabels: a database name that is not UTF-8 (any
// database user can create one through PgBouncer's fallback) must not panic
// the scrape; a wrong label count is an invalid metric, not a crash.
func TestGaugeSurvivesBadLabels(t *testing.T) {
	m := gauge(pgSessionsByUserDesc, 2, "pgbouncer", "true", "TLSv1.3", "TLS_AES_256_GCM_SHA384", "false", "\xff\xfedb", "app")
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range pb.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	if got["datname"] != "\uFFFDdb" || got["usename"] != "app" || pb.GetGauge().GetValue() != 2 {
		t.Fatalf("labels %q value %v", got, pb.GetGauge().GetValue())
	}
	if err := gauge(pgSessionsDesc, 1, "too", "few").Write(&pb); err == nil {
		t.Fatal("a wrong label count must give an invalid metric")
	}
}
