package rules

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

func TestCARotationFindings(t *testing.T) {
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	path := renewstate.RotationPath(dir)
	if got := CARotationFindings(dir, now, 7*24*time.Hour); got != nil {
		t.Fatalf("no rotation yet: %v", got)
	}
	write := func(phase string, since time.Time) {
		t.Helper()
		data, err := renewstate.EncodeRotation(&renewstate.Rotation{Phase: phase, Since: since,
			OldCA: renewstate.CAInfo{Subject: "CN=old", NotAfter: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)},
			NewCA: renewstate.CAInfo{Subject: "CN=new", NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC), SHA256: "bb"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const cas = `old CA "CN=old" expires 2031-01-01T00:00:00Z, new CA "CN=new" expires 2040-01-01T00:00:00Z`
	tests := []struct {
		phase  string
		age    time.Duration
		status Severity
		code   Code
		detail string
	}{
		{renewstate.PhasePrepared, 3 * 24 * time.Hour, OK, "",
			"prepared 3 days ago: clients that hold the bundle trust both CAs; next: renew --rotate-ca --until switch; " + cas},
		{renewstate.PhasePrepared, 8 * 24 * time.Hour, Warning, CARotationStalled,
			"prepared for 8 days, longer than max_phase_age (7 days): clients that hold the bundle trust both CAs; next: renew --rotate-ca --until switch; " + cas},
		{renewstate.PhaseSwitched, 10 * 24 * time.Hour, Warning, CARotationStalled,
			"switched for 10 days, longer than max_phase_age (7 days): the servers serve certificates of the new CA; next, once no client needs the old CA: renew --rotate-ca --finish; " + cas},
		{renewstate.PhaseFinished, 30 * 24 * time.Hour, OK, "", "finished 30 days ago: " + cas},
	}
	for _, tc := range tests {
		write(tc.phase, now.Add(-tc.age))
		got := CARotationFindings(dir, now, 7*24*time.Hour)
		want := []Finding{{Source: SourceCARotation, Entry: "ca", Check: CheckCARotation, Code: tc.code, Status: tc.status, Path: path, Detail: tc.detail}}
		if !slices.Equal(got, want) {
			t.Errorf("%s for %s:\n got %+v\nwant %+v", tc.phase, tc.age, got, want)
		}
	}
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := CARotationFindings(dir, now, time.Hour)
	if len(got) != 1 || got[0].Code != CARotationStateUnreadable || got[0].Status != Unknown ||
		got[0].Detail != "CA rotation state: unexpected end of JSON input" {
		t.Fatalf("garbled: %+v", got)
	}
}

func TestCARotationPerf(t *testing.T) {
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	th := DefaultPolicy()
	if got := CARotationPerf(dir, th, now); got != nil {
		t.Fatalf("no rotation: %v", got)
	}
	for _, phase := range []string{renewstate.PhaseSwitched, renewstate.PhaseFinished} {
		data, _ := renewstate.EncodeRotation(&renewstate.Rotation{Phase: phase, Since: now,
			OldCA: renewstate.CAInfo{NotAfter: now.Add(45 * 24 * time.Hour)},
			NewCA: renewstate.CAInfo{NotAfter: now.Add(3650 * 24 * time.Hour), SHA256: "bb"}})
		if err := os.WriteFile(filepath.Join(dir, renewstate.RotationFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range CARotationPerf(dir, th, now) {
			got = append(got, p.String())
		}
		want := []string{"ca_old_days_left=45;90:;30:", "ca_new_days_left=3650;90:;30:"}
		if phase == renewstate.PhaseFinished {
			want = nil
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", phase, got, want)
		}
	}
}
