package renew

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// TestKeyOwnerNeverWraps: a numeric key_owner beyond 32 bits is refused,
// never cut down to a small (or root's) uid.
func TestKeyOwnerNeverWraps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.key")
	for in, want := range map[string]string{
		"4294967297:5":  `key_owner "4294967297:5": uid "4294967297" is not a number in 0..4294967294`,
		"99999999999:1": `key_owner "99999999999:1": uid "99999999999" is not a number in 0..4294967294`,
		"4294967296:0":  `key_owner "4294967296:0": uid "4294967296" is not a number in 0..4294967294`,
		"-1:-1":         `key_owner "-1:-1": uid "-1" is not a number in 0..4294967294`,
	} {
		owner, _, err := keyFileOwner(path, in)
		if err == nil || err.Error() != want {
			t.Errorf("keyFileOwner(%q) = %+v, %v; want error %q", in, owner, err, want)
		}
	}
	owner, _, err := keyFileOwner(path, "4294967294:7")
	if err != nil || owner != (atomicfile.Owner{UID: 4294967294, GID: 7}) {
		t.Fatalf("largest uid: %+v %v", owner, err)
	}
}

// TestRenewRefusesAWrappingKeyOwner: the configuration that used to give
// the new key to uid 1 is refused before anything is written.
func TestRenewRefusesAWrappingKeyOwner(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(400*24*time.Hour))
	testcerts.WriteFile(t, f.cfgPath, []byte(strings.Replace(baseConfig, "    combined: certs/postgres-combined.pem\n",
		"    combined: certs/postgres-combined.pem\n    key_owner: '4294967297:5'\n", 1)), 0o644)
	before := snapshot(t, f.dir)
	code, out := f.run(t, Options{Force: true, NoReload: true})
	if code != ExitRefused || !strings.Contains(out, `certificates[1].key_owner: uid "4294967297" is not a number in 0..4294967294`) {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if d := diffSnapshots(before, snapshot(t, f.dir)); d != "" {
		t.Fatalf("files changed:\n%s", d)
	}
}

// TestPidFileNumberNeverWraps: a pid beyond pid_t is refused rather than
// cut to 1 (init) by the kill system call. Signal 0 only tests.
func TestPidFileNumberNeverWraps(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "postmaster.pid")
	testcerts.WriteFile(t, pidFile, []byte("4294967297\n/var/lib/postgresql\n"), 0o644)
	err := signalPIDFile(pidFile, syscall.Signal(0), nil)
	if err == nil || err.Error() != "pid file "+pidFile+` holds no usable pid: "4294967297"` {
		t.Fatalf("err = %v", err)
	}
}

// TestJournalFIFOIsUnreadable: a journal replaced by a FIFO is reported as
// unreadable at once, never waited on.
func TestJournalFIFOIsUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(journalPath(dir), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := loadJournal(dir)
	if j != nil || err == nil || err.Error() != "read journal "+journalPath(dir)+": read "+journalPath(dir)+": is a named pipe (FIFO), not a regular file" {
		t.Fatalf("journal %+v, err %v", j, err)
	}
}
