package collector

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

var rotationMetricNames = []string{"pgtls_ca_rotation_phase", "pgtls_ca_rotation_phase_since_timestamp_seconds",
	"pgtls_ca_rotation_ca_not_after_timestamp_seconds", "pgtls_problem", "pgtls_scrape_collector_success"}

func rotationExporter(dir string) *Exporter {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewExporter(logger, NewCARotation(dir, 7*24*time.Hour, logger))
}

const rotationSuccess = `
# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="ca_rotation"} 1
`

func rotationPhases(current string) string {
	out := "# HELP pgtls_ca_rotation_phase Phase of the CA rotation: 1 for the current one (none, prepared, switched, finished), 0 for the others.\n" +
		"# TYPE pgtls_ca_rotation_phase gauge\n"
	for _, p := range []string{"finished", "none", "prepared", "switched"} {
		v := "0"
		if p == current {
			v = "1"
		}
		out += `pgtls_ca_rotation_phase{phase="` + p + `"} ` + v + "\n"
	}
	return out
}

func TestCARotationExposition(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "renew-state")
	if err := testutil.CollectAndCompare(rotationExporter(dir), strings.NewReader(rotationSuccess), rotationMetricNames...); err != nil {
		t.Fatalf("no state folder: %v", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(rotationExporter(dir), strings.NewReader(rotationPhases("none")+rotationSuccess), rotationMetricNames...); err != nil {
		t.Fatalf("no rotation yet: %v", err)
	}
	since := time.Now().Add(-8 * 24 * time.Hour).Truncate(time.Second)
	data, err := renewstate.EncodeRotation(&renewstate.Rotation{Phase: renewstate.PhasePrepared, Since: since,
		OldCA: renewstate.CAInfo{Subject: "CN=old", NotAfter: time.Unix(1900000000, 0)},
		NewCA: renewstate.CAInfo{Subject: "CN=new", NotAfter: time.Unix(2100000000, 0), SHA256: "bb"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(renewstate.RotationPath(dir), data, 0o644); err != nil {
		t.Fatal(err)
	}
	stalled := rotationPhases("prepared") + `
# HELP pgtls_ca_rotation_ca_not_after_timestamp_seconds Expiry of the old and the new CA of the last CA rotation.
# TYPE pgtls_ca_rotation_ca_not_after_timestamp_seconds gauge
pgtls_ca_rotation_ca_not_after_timestamp_seconds{ca="new"} 2.1e+09
pgtls_ca_rotation_ca_not_after_timestamp_seconds{ca="old"} 1.9e+09
# HELP pgtls_ca_rotation_phase_since_timestamp_seconds When the CA rotation reached its current phase.
# TYPE pgtls_ca_rotation_phase_since_timestamp_seconds gauge
pgtls_ca_rotation_phase_since_timestamp_seconds ` + strconv.FormatInt(since.Unix(), 10) + `
# HELP pgtls_problem A current problem (absent when healthy); code and severity come from the rules table.
# TYPE pgtls_problem gauge
pgtls_problem{code="ca_rotation_stalled",severity="warning",source="ca_rotation",subject="ca"} 1
` + rotationSuccess
	if err := testutil.CollectAndCompare(rotationExporter(dir), strings.NewReader(stalled), rotationMetricNames...); err != nil {
		t.Fatalf("stalled: %v", err)
	}
	if err := os.WriteFile(renewstate.RotationPath(dir), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbled := `
# HELP pgtls_problem A current problem (absent when healthy); code and severity come from the rules table.
# TYPE pgtls_problem gauge
pgtls_problem{code="ca_rotation_state_unreadable",severity="unknown",source="ca_rotation",subject="ca"} 1
# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="ca_rotation"} 0
`
	if err := testutil.CollectAndCompare(rotationExporter(dir), strings.NewReader(garbled), rotationMetricNames...); err != nil {
		t.Fatalf("garbled: %v", err)
	}
}
