package check

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// TestCARotationInReport: check shows the CA rotation's row and, while
// both CAs are trusted, their days left; a rotation switched longer than
// max_phase_age is a warning.
func TestCARotationInReport(t *testing.T) {
	cfg, _ := writeSet(t, 90*24*time.Hour, 0o600, "renew: {state_dir: state, ca_rotation: {max_phase_age: 3d}}\n")
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	data, err := renewstate.EncodeRotation(&renewstate.Rotation{Phase: renewstate.PhaseSwitched, Since: now.Add(-5 * 24 * time.Hour),
		OldCA: renewstate.CAInfo{Subject: "CN=Check CA", NotAfter: now.Add(40 * 24 * time.Hour)},
		NewCA: renewstate.CAInfo{Subject: "CN=Check CA 2030", NotAfter: now.Add(3650 * 24 * time.Hour), SHA256: "bb"}})
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(filepath.Dir(cfg), "state")
	testcerts.WriteFile(t, renewstate.RotationPath(state), data, 0o644)
	var out bytes.Buffer
	Run(context.Background(), &out, Options{ConfigFile: cfg, Now: now})
	text := out.String()
	first, _, _ := strings.Cut(text, "\n")
	if !strings.HasSuffix(first, " ca_old_days_left=40;90:;30: ca_new_days_left=3650;90:;30:") {
		t.Errorf("status line lacks the rotation's CAs:\n%s", first)
	}
	want := "ca     ca-rotation      WARNING   ca_rotation_stalled  " + renewstate.RotationPath(state) +
		`  switched for 5 days, longer than max_phase_age (3 days): the servers serve certificates of the new CA; next, once no client needs the old CA: renew --rotate-ca --finish; old CA "CN=Check CA" expires 2030-07-11T12:00:00Z, new CA "CN=Check CA 2030" expires 2040-05-29T12:00:00Z`
	if !strings.Contains(text, want+"\n") {
		t.Errorf("report lacks\n%s\n%s", want, text)
	}
}
