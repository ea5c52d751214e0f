package renewstate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	p := Path(t.TempDir())
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	in := &State{LastRun: now, LastSuccess: now, Message: "renewed 1",
		Entries: map[string]Entry{"postgres": {Result: ResultRenewed, Serial: "ab", NotAfter: now.Add(time.Hour), LastRenewed: now}}}
	if err := Write(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if !out.LastRun.Equal(now) || out.Entries["postgres"].Serial != "ab" || out.Version != Version {
		t.Fatalf("got %+v", out)
	}
	data, _ := os.ReadFile(p)
	if strings.Contains(string(data), "last_renewed\": \"0001") {
		t.Fatal("zero times are written")
	}
}

// TestOutcome: a refusal keeps its outcome and reason; a file written
// before outcomes were recorded gets the one its exit code meant.
func TestOutcome(t *testing.T) {
	p := Path(t.TempDir())
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := Write(p, &State{LastRun: now, ExitCode: 4, Outcome: OutcomeRefused, Refused: "no usable CA"}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	if !strings.Contains(string(data), `"outcome": "refused",`) || !strings.Contains(string(data), `"refused": "no usable CA"`) {
		t.Fatalf("written:\n%s", data)
	}
	if st, err := Read(p); err != nil || st.Outcome != OutcomeRefused || st.Refused != "no usable CA" || st.ExitCode != 4 {
		t.Fatalf("read %+v %v", st, err)
	}
	for code, want := range map[int]string{0: OutcomeOK, 1: OutcomeRolledBack, 2: OutcomeNotRolledBack} {
		st, err := Decode(fmt.Appendf(nil, `{"version": 1, "last_run": "2030-01-01T00:00:00Z", "exit_code": %d}`, code))
		if err != nil || st.Outcome != want {
			t.Errorf("exit code %d without an outcome: %+v %v, want %s", code, st, err, want)
		}
	}
}

func TestReadFailures(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(Path(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	for _, tc := range []struct{ data, want string }{
		{"garbage", "renew state: invalid character"},
		{`{"version": 2, "last_run": "2030-01-01T00:00:00Z"}`, "renew state: version 2, want 1"},
		{`{"version": 1}`, "renew state: last_run is missing"},
		{`{"version": 1, "last_run": "2030-01-01T00:00:00Z", "entries": {"a": {"result": "maybe"}}}`, `renew state: entry "a": unknown result "maybe"`},
		{`{"version": 1, "last_run": "2030-01-01T00:00:00Z", "outcome": "maybe"}`, `renew state: unknown outcome "maybe"`},
	} {
		p := filepath.Join(dir, "s.json")
		if err := os.WriteFile(p, []byte(tc.data), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(p); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.data, err, tc.want)
		}
	}
}

// TestReadRefusesAFIFO: a state file replaced by a FIFO is an error at
// once; the exporter's scrape never blocks on it.
func TestReadRefusesAFIFO(t *testing.T) {
	p := Path(t.TempDir())
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Read(p)
	if err == nil || err.Error() != "read renew state: read "+p+": is a named pipe (FIFO), not a regular file" {
		t.Fatalf("err = %v", err)
	}
}
