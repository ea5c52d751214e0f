package renewstate

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRotationRoundTrip(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	in := &Rotation{Phase: PhaseSwitched, Started: now.Add(-time.Hour), Since: now,
		OldCA:   CAInfo{Subject: "CN=old", Serial: "01", NotAfter: now.AddDate(1, 0, 0), SHA256: "aa"},
		NewCA:   CAInfo{Subject: "CN=new", Serial: "02", NotAfter: now.AddDate(10, 0, 0), SHA256: "bb"},
		NewCert: "/c/ca-next.crt", NewKey: "/c/ca-next.key", Bundle: "/c/ca-bundle.crt"}
	data, err := EncodeRotation(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(RotationPath(dir), data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := ReadRotation(RotationPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if out.Version != RotationVersion || out.Phase != PhaseSwitched || !out.Since.Equal(now) || out.NewCA != in.NewCA ||
		out.OldCA != in.OldCA || out.Bundle != in.Bundle || out.RetiredKey != "" {
		t.Fatalf("got %+v", out)
	}
	if strings.Contains(string(data), "retired_key") {
		t.Fatalf("an empty retired_key is written:\n%s", data)
	}
}

func TestReadRotationFailures(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadRotation(RotationPath(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	const ok = `"since": "2030-01-01T00:00:00Z", "new_ca": {"sha256": "bb"}`
	for _, tc := range []struct{ data, want string }{
		{"{", "CA rotation state: unexpected end of JSON input"},
		{`{"version": 2, "phase": "prepared", ` + ok + `}`, "CA rotation state: version 2, want 1"},
		{`{"version": 1, "phase": "none", ` + ok + `}`, `CA rotation state: unknown phase "none"`},
		{`{"version": 1, "phase": "halfway", ` + ok + `}`, `CA rotation state: unknown phase "halfway"`},
		{`{"version": 1, "phase": "prepared", "new_ca": {"sha256": "bb"}}`, "CA rotation state: since is missing"},
		{`{"version": 1, "phase": "prepared", "since": "2030-01-01T00:00:00Z"}`, "CA rotation state: new_ca is missing"},
	} {
		p := filepath.Join(dir, "r.json")
		if err := os.WriteFile(p, []byte(tc.data), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadRotation(p); err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %q", tc.data, err, tc.want)
		}
	}
}
