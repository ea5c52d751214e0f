package renew

import (
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// readOnly makes dir a read-only bind mount of itself until the test ends.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	testcerts.RequireRoot(t)
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	if err := syscall.Mount("", dir, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatalf("remount %s read-only: %v", dir, err)
	}
}

// immutable sets chattr +i on path until the test ends; it skips (fails
// with CI=true) where the file system keeps no such flag.
func immutable(t *testing.T, path string) {
	t.Helper()
	testcerts.RequireRoot(t)
	setFlags := func(on bool) error {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
		if err != nil {
			return err
		}
		if on {
			flags |= fsImmutableFl
		} else {
			flags &^= fsImmutableFl
		}
		return unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags))
	}
	if err := setFlags(true); errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EOPNOTSUPP) {
		testenv.SkipOrFatal(t, "the file system of %s keeps no immutable flag: %v", path, err)
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := setFlags(false); err != nil {
			t.Errorf("chattr -i %s: %v", path, err)
		}
	})
}

// configured hashes the fixture's configured files (staged files left
// aside).
func configured(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range snapshot(t, f.path("certs")) {
		if !strings.HasSuffix(k, ".pgtls-new") {
			out[k] = v
		}
	}
	return out
}

// staged lists staged files left in the fixture's certs folder.
func staged(t *testing.T, f *fixture) []string {
	t.Helper()
	m, err := filepath.Glob(f.path("certs/.*.pgtls-new"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runWithFault runs a forced --no-reload renew and calls fault once the new
// files are staged, after every check passed.
func runWithFault(t *testing.T, f *fixture, fault func()) (int, string) {
	t.Helper()
	return f.run(t, Options{Force: true, NoReload: true, Checkpoint: func(step string) {
		if step == "staged" {
			fault()
		}
	}})
}

// requireAsBefore checks the end state of a refused or rolled-back run: no
// journal (check would report an interrupted renew), stagedLeft staged
// files, and every configured file as before.
func requireAsBefore(t *testing.T, f *fixture, before map[string]string, stagedLeft int) {
	t.Helper()
	if journalExists(t, f) {
		t.Fatal("a journal is left, so check would report an interrupted renew")
	}
	if s := staged(t, f); len(s) != stagedLeft {
		t.Fatalf("staged files left: %v, want %d", s, stagedLeft)
	}
	if d := diffSnapshots(before, configured(t, f)); d != "" {
		t.Fatalf("files changed:\n%s", d)
	}
}

// TestReadOnlyCertificatesRefusedBeforeJournal: on a read-only mount the
// run is refused before anything is journaled, every time.
func TestReadOnlyCertificatesRefusedBeforeJournal(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(400*24*time.Hour))
	before := configured(t, f)
	readOnly(t, f.path("certs"))
	key, stagedKey := f.path("certs/pgbouncer.key"), f.path("certs/.pgbouncer.key.pgtls-new")
	want := "entry pgbouncer: key file " + key + " cannot be installed: folder " + f.path("certs") +
		" does not take a new file: create " + stagedKey + ": open " + stagedKey + ": read-only file system"
	for run := 1; run <= 2; run++ {
		code, out := f.run(t, Options{Force: true, NoReload: true})
		if code != ExitRolledBack || !strings.Contains(out, want) || !strings.Contains(out, "renew: failed, nothing changed or rolled back: not renewed: ") {
			t.Fatalf("run %d: exit %d\n%s\nwant it to contain %q", run, code, out, want)
		}
		requireAsBefore(t, f, before, 0)
	}
}

// TestImmutableCertificateRefusedBeforeJournal: a certificate locked with
// chattr +i is refused before anything is journaled or staged.
func TestImmutableCertificateRefusedBeforeJournal(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(400*24*time.Hour))
	before := configured(t, f)
	immutable(t, f.path("certs/postgres.crt"))
	code, out := f.run(t, Options{Force: true, NoReload: true})
	want := "entry postgres: cert file " + f.path("certs/postgres.crt") + " cannot be installed: the file is immutable (chattr +i); nothing may replace it"
	if code != ExitRolledBack || !strings.Contains(out, want) {
		t.Fatalf("exit %d\n%s\nwant it to contain %q", code, out, want)
	}
	requireAsBefore(t, f, before, 0)
}

// TestRollbackPastAnImmutableCertificate: when the certificate becomes
// immutable after the checks, its rename fails; the other files are put
// back, the locked one never changed, and that is a successful rollback.
func TestRollbackPastAnImmutableCertificate(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(400*24*time.Hour))
	before := configured(t, f)
	code, out := runWithFault(t, f, func() { immutable(t, f.path("certs/postgres.crt")) })
	if code != ExitRolledBack || !strings.Contains(out, "renew: failed, nothing changed or rolled back: rolled back: entry postgres: install cert file") ||
		strings.Contains(out, "cleanup could not be done") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	requireAsBefore(t, f, before, 0)
}

// TestRollbackOnAMountThatTurnedReadOnly: staged files that a read-only
// mount keeps from being removed do not make a failed rollback when every
// configured file is byte-identical to its backup; the run says what is
// left behind.
func TestRollbackOnAMountThatTurnedReadOnly(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(400*24*time.Hour))
	before := configured(t, f)
	code, out := runWithFault(t, f, func() { readOnly(t, f.path("certs")) })
	stagedKey := f.path("certs/.pgbouncer.key.pgtls-new")
	for _, want := range []string{
		"Every configured file is as it should be, but some cleanup could not be done; remove these by hand when you can:\n",
		"  - staged file " + stagedKey + " could not be removed: remove " + stagedKey + ": read-only file system\n",
		"renew: failed, nothing changed or rolled back: rolled back: entry pgbouncer: install key file",
	} {
		if code != ExitRolledBack || !strings.Contains(out, want) {
			t.Fatalf("exit %d\n%s\nwant it to contain %q", code, out, want)
		}
	}
	requireAsBefore(t, f, before, 6)
}

// TestInterruptedRunOnAReadOnlyMount: a run that stopped after staging
// leaves a journal; when the mount has turned read-only since, the next
// run undoes it (its staged files are the only leftovers), removes the
// journal, and refuses to renew: exit 1, not "rollback failed".
func TestInterruptedRunOnAReadOnlyMount(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(400*24*time.Hour))
	before := configured(t, f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.run(t, Options{Force: true, NoReload: true, Checkpoint: func(step string) {
			if step == "staged" {
				runtime.Goexit() // the process dies here; the journal says "preparing"
			}
		}})
	}()
	<-done
	if !journalExists(t, f) {
		t.Fatal("no journal after the interrupted run")
	}
	readOnly(t, f.path("certs"))
	code, out := f.run(t, Options{Force: true, NoReload: true})
	stagedCert := f.path("certs/.postgres.crt.pgtls-new")
	for _, want := range []string{`An earlier renew (`, "cannot be installed: folder " + f.path("certs") + " does not take a new file",
		"  - staged file " + stagedCert + " could not be removed: remove " + stagedCert + ": read-only file system\n"} {
		if code != ExitRolledBack || !strings.Contains(out, want) {
			t.Fatalf("exit %d\n%s\nwant it to contain %q", code, out, want)
		}
	}
	requireAsBefore(t, f, before, 6)
}
