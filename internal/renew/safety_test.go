package renew

import (
	"crypto/sha256"
	"os"
	"strings"
	"testing"
	"time"
)

// TestNeverWritesOverTheCAKey: an entry whose key path leads to the CA key
// through a link (the configuration refuses the same spelling) is refused
// and the CA key stays as it was.
func TestNeverWritesOverTheCAKey(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(400*24*time.Hour))
	if err := os.Remove(f.path("certs/postgres.key")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.path("certs/ca/ca.key"), f.path("certs/postgres.key")); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(f.path("certs/ca/ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	code, out := f.run(t, Options{Force: true, NoReload: true})
	after, err := os.ReadFile(f.path("certs/ca/ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(before) != sha256.Sum256(after) {
		t.Fatal("the CA key was overwritten")
	}
	if code == ExitOK || !strings.Contains(out, "is the CA's file certs/ca/ca.key: refusing to overwrite it") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestKeepsAGroupReadableKeyMode: a root-owned 0640 key (the form PostgreSQL
// accepts for root:postgres) stays 0640 when renewed, so the server's group
// can still read it; a 0644 key is tightened to 0600.
func TestKeepsAGroupReadableKeyMode(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(400*24*time.Hour))
	if err := os.Chmod(f.path("certs/postgres.key"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.path("certs/pgbouncer.key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := f.run(t, Options{Force: true, NoReload: true}); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for path, want := range map[string]os.FileMode{"certs/postgres.key": 0o640, "certs/pgbouncer.key": 0o600,
		"certs/postgres-combined.pem": 0o600, "certs/postgres.crt": 0o644} {
		fi, err := os.Stat(f.path(path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", path, fi.Mode().Perm(), want)
		}
	}
	requireConsistent(t, f.config(t))
}
