package testenv_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

func TestStartMissingBinariesIsUnavailable(t *testing.T) {
	t.Parallel()
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	_, err := testenv.Start(ctxT(t), testenv.Options{Certs: tc.Files, PgBinDir: filepath.Join(t.TempDir(), "nothing")})
	if !errors.Is(err, testenv.ErrUnavailable) {
		t.Fatalf("Start with a missing bin dir: %v, want ErrUnavailable", err)
	}
}

func TestStartFailureReportsServerLog(t *testing.T) {
	t.Parallel()
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	// PostgreSQL's key no longer matches its certificate.
	key, err := os.ReadFile(tc.Files.PgBouncerKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tc.Files.PostgresKey, key, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = testenv.Start(ctxT(t), testenv.Options{Certs: tc.Files, Dir: dir, WithPgBouncer: true})
	if errors.Is(err, testenv.ErrUnavailable) {
		testenv.SkipOrFatal(t, "test stack unavailable: %v", err)
	}
	if err == nil {
		t.Fatal("Start with a mismatched key succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "start PostgreSQL") || !strings.Contains(msg, "private key") {
		t.Fatalf("error should name the failed step and carry the log tail:\n%s", msg)
	}
	// Nothing was left running: the data dir holds no live postmaster.
	if _, err := os.Stat(filepath.Join(dir, "pgdata", "postmaster.pid")); err == nil {
		t.Fatal("postmaster.pid left behind after a failed start")
	}
}

// recordingTB stops like testing.TB on Skip and Fatal but only records which
// one was called.
type recordingTB struct {
	testing.TB
	skipped, failed bool
}

func (r *recordingTB) Skipf(string, ...any)  { r.skipped = true; runtime.Goexit() }
func (r *recordingTB) Fatalf(string, ...any) { r.failed = true; runtime.Goexit() }

func TestStartTMissingBinaries(t *testing.T) {
	for _, tc := range []struct {
		ci       string
		wantFail bool
	}{{"", false}, {"false", false}, {"true", true}} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recordingTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				testenv.StartT(r, testenv.Options{PgBinDir: filepath.Join(t.TempDir(), "nothing")})
			}()
			<-done
			if r.failed != tc.wantFail || r.skipped == tc.wantFail {
				t.Fatalf("CI=%q: skipped=%v failed=%v, want failed=%v", tc.ci, r.skipped, r.failed, tc.wantFail)
			}
		})
	}
}
