package inspect

import (
	"errors"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// fixture writes a CA and one healthy entry "pg" and returns the config.
func fixture(t *testing.T, opts testcerts.Options) (*config.Config, testcerts.EntryFiles, string) {
	t.Helper()
	dir := t.TempDir()
	ca := testcerts.CA(t, "Test CA")
	caPath := testcerts.WriteFile(t, filepath.Join(dir, "ca", "ca.crt"), ca.CertPEM, 0o644)
	if opts.DNSNames == nil {
		opts.DNSNames = []string{"postgres", "localhost"}
	}
	files := testcerts.WriteEntry(t, dir, "pg", ca, opts, 0o600)
	cfg, err := config.Parse([]byte(`
ca: {cert: ca/ca.crt}
certificates:
  - {name: pg, cert: pg.crt, key: pg.key, combined: pg-combined.pem, expected_names: [postgres, db]}
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, files, caPath
}

func TestHealthyEntry(t *testing.T) {
	cfg, files, _ := fixture(t, testcerts.Options{})
	r := New(cfg, 1).Inspect(time.Now())
	if r.CA.Verify == nil || !r.CA.Verify.OK() {
		t.Fatalf("CA verify: %+v", r.CA.Verify)
	}
	e := r.Entries[0]
	for _, fr := range e.Files {
		if fr.Err != nil {
			t.Fatalf("%s: %v", fr.Path, fr.Err)
		}
	}
	if got := e.Files[0].Certificates[0].Serial; got != certs.Serial(files.Issued.Cert) {
		t.Errorf("serial %s", got)
	}
	if e.Files[1].Key != "ECDSA P-256 (PKCS#8)" {
		t.Errorf("key description %q", e.Files[1].Key)
	}
	if len(e.Names) != 2 || !e.Names[0].Covered() || e.Names[1].Covered() || e.Names[1].Name != "db" {
		t.Errorf("names %+v", e.Names)
	}
	if !e.Verify.OK() {
		t.Errorf("verify %v", e.Verify.Detail())
	}
	if len(e.KeyMatches) != 2 || !e.KeyMatches[0].OK || !e.KeyMatches[1].OK {
		t.Errorf("key matches %+v", e.KeyMatches)
	}
	if len(e.KeyPermissions) != 2 || !e.KeyPermissions[0].OK() || e.KeyPermissions[0].Mode.Perm() != 0o600 {
		t.Errorf("permissions %+v", e.KeyPermissions)
	}
}

func TestUnusableFiles(t *testing.T) {
	cfg, files, _ := fixture(t, testcerts.Options{})
	in := New(cfg, 1)
	resolved := "pg.crt (resolved to " + files.Cert + "): "
	cases := []struct {
		name    string
		prepare func()
		want    string
	}{
		{"missing", func() { os.Remove(files.Cert) }, resolved + "stat: no such file or directory"},
		{"empty", func() { os.WriteFile(files.Cert, nil, 0o644) }, "empty"},
		{"garbage", func() { os.WriteFile(files.Cert, []byte("not a cert"), 0o644) }, "neither PEM nor DER"},
		{"truncated", func() { os.WriteFile(files.Cert, files.Issued.CertPEM[:200], 0o644) }, "truncated or malformed PEM block (PEM block 1)"},
		{"key instead of cert", func() { os.WriteFile(files.Cert, files.Issued.KeyPEM, 0o644) }, "no certificate"},
		{"directory", func() { os.Remove(files.Cert); os.Mkdir(files.Cert, 0o755) }, resolved + "is a directory, not a file"},
		{"FIFO", func() { syscall.Mkfifo(files.Cert, 0o644) }, resolved + "is a named pipe (FIFO), not a regular file"},
		{"link to /dev/zero", func() { os.Symlink("/dev/zero", files.Cert) }, resolved + "is a character device, not a regular file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			os.RemoveAll(files.Cert)
			tc.prepare()
			e := in.Inspect(time.Now()).Entries[0]
			if e.Files[0].Err == nil || e.Files[0].Err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", e.Files[0].Err, tc.want)
			}
			if e.Names != nil || e.Verify != nil {
				t.Errorf("judged an unreadable certificate: %+v %+v", e.Names, e.Verify)
			}
			if e.KeyMatches[0].OK || !errors.Is(e.KeyMatches[0].Err, ErrNotChecked) ||
				e.KeyMatches[0].Err.Error() != "not checked: the certificate file could not be read" {
				t.Errorf("key match %+v", e.KeyMatches[0])
			}
		})
	}
}

func TestMismatchedKeyAndCombined(t *testing.T) {
	cfg, files, _ := fixture(t, testcerts.Options{})
	other := testcerts.Issue(t, nil, testcerts.Options{CommonName: "other"})
	testcerts.WriteFile(t, files.Key, other.KeyPEM, 0o600)
	testcerts.WriteFile(t, files.Combined, other.Combined(), 0o600)
	e := New(cfg, 1).Inspect(time.Now()).Entries[0]
	if km := e.KeyMatches[0]; km.OK || km.Err.Error() != "ECDSA P-256 key belongs to another certificate" {
		t.Errorf("key: %+v", km)
	}
	want := "combined PEM holds certificate serial " + certs.Serial(other.Cert) + ", the certificate file holds serial " + certs.Serial(files.Issued.Cert)
	if km := e.KeyMatches[1]; km.OK || km.Err.Error() != want {
		t.Errorf("combined: %+v", km)
	}
}

func TestCacheByIdentity(t *testing.T) {
	cfg, files, caPath := fixture(t, testcerts.Options{})
	in := New(cfg, 1)
	now := time.Now()
	first := in.Inspect(now)
	second := in.Inspect(now.Add(time.Minute))
	if first.Entries[0] != second.Entries[0] || first.CA != second.CA {
		t.Fatal("unchanged files were evaluated again")
	}
	// A new mtime alone makes the entry be read again.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(files.Key, later, later); err != nil {
		t.Fatal(err)
	}
	third := in.Inspect(now)
	if third.Entries[0] == second.Entries[0] || third.CA != second.CA {
		t.Fatal("a changed key file was not read again, or the CA was")
	}
	// A mode change too (permissions are part of the verdict).
	if err := os.Chmod(files.Key, 0o640); err != nil {
		t.Fatal(err)
	}
	fourth := in.Inspect(now)
	if fourth.Entries[0] == third.Entries[0] || fourth.Entries[0].KeyPermissions[0].OK() {
		t.Fatal("mode change not seen")
	}
	// A changed CA re-verifies every entry.
	other := testcerts.CA(t, "Another CA")
	testcerts.WriteFile(t, caPath, other.CertPEM, 0o644)
	fifth := in.Inspect(now)
	if fifth.CA == fourth.CA || fifth.Entries[0] == fourth.Entries[0] {
		t.Fatal("CA change not seen")
	}
	if fifth.Entries[0].Verify.Reason != certs.VerifyUnknownAuthority {
		t.Fatalf("verify after CA swap: %v", fifth.Entries[0].Verify.Detail())
	}
}

func TestRecheckWhenVerdictExpires(t *testing.T) {
	notAfter := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	cfg, _, _ := fixture(t, testcerts.Options{NotAfter: notAfter})
	in := New(cfg, 1)
	before := in.Inspect(notAfter.Add(-time.Hour)).Entries[0]
	if !before.Verify.OK() {
		t.Fatal(before.Verify.Detail())
	}
	if again := in.Inspect(notAfter.Add(-time.Minute)).Entries[0]; again != before {
		t.Fatal("re-evaluated before the verdict could change")
	}
	after := in.Inspect(notAfter.Add(time.Second)).Entries[0]
	if after.Verify.Reason != certs.VerifyExpired {
		t.Fatalf("after expiry: %v", after.Verify.Detail())
	}
}

func TestSymlinkFollowedPathKept(t *testing.T) {
	cfg, files, _ := fixture(t, testcerts.Options{})
	dir := filepath.Dir(files.Cert)
	real := filepath.Join(dir, "..data", "pg.crt")
	testcerts.WriteFile(t, real, files.Issued.CertPEM, 0o644)
	os.Remove(files.Cert)
	if err := os.Symlink(real, files.Cert); err != nil {
		t.Fatal(err)
	}
	e := New(cfg, 1).Inspect(time.Now()).Entries[0]
	if e.Files[0].Err != nil || e.Files[0].Path != "pg.crt" || len(e.Files[0].Certificates) != 1 {
		t.Fatalf("symlinked cert: %+v", e.Files[0])
	}
}

// TestPostgresKeyRuleOnRealFiles chowns real files to the postgres user and
// to root and checks the verdicts PostgreSQL gives for them.
func TestPostgresKeyRuleOnRealFiles(t *testing.T) {
	testcerts.RequireRoot(t)
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("the postgres user is needed: %v", err)
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	cfg, files, _ := fixture(t, testcerts.Options{})
	cfg.Certificates[0].KeyOwner = "postgres"
	cases := []struct {
		name     string
		uid, gid int
		mode     os.FileMode
		ok       bool
		reason   string
	}{
		{"postgres 0600", uid, gid, 0o600, true, ""},
		{"postgres 0640", uid, gid, 0o640, false, "has group or world access; File must have permissions u=rw (0600) or less if owned by the database user"},
		{"postgres 0644", uid, gid, 0o644, false, "has group or world access; File must have permissions u=rw (0600) or less if owned by the database user"},
		{"root:postgres 0640", 0, gid, 0o640, true, ""},
		{"root:root 0600", 0, 0, 0o600, false, "cannot be read by postgres: Permission denied"},
		{"root:postgres 0644", 0, gid, 0o644, false, "has group or world access; File must have permissions u=rw,g=r (0640) or less if owned by root"},
		{"nobody 0600", 65534, 65534, 0o600, false, "must be owned by the database user (postgres) or root"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.Chown(files.Key, tc.uid, tc.gid); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(files.Key, tc.mode); err != nil {
				t.Fatal(err)
			}
			kp := New(cfg, 1).Inspect(time.Now()).Entries[0].KeyPermissions[0]
			if kp.OK() != tc.ok || kp.Verdict.Reason != tc.reason || kp.User != "postgres" || kp.KeyOwner != "postgres" ||
				kp.Mode.Perm() != tc.mode || int(kp.UID) != tc.uid || int(kp.GID) != tc.gid {
				t.Fatalf("got %+v", kp)
			}
		})
	}
}

func TestUnknownKeyOwner(t *testing.T) {
	cfg, _, _ := fixture(t, testcerts.Options{})
	cfg.Certificates[0].KeyOwner = "no-such-user-here"
	kp := New(cfg, 1).Inspect(time.Now()).Entries[0].KeyPermissions[0]
	if kp.OK() || kp.Err == nil || kp.Err.Error() != `key_owner "no-such-user-here": user: unknown user no-such-user-here` {
		t.Fatalf("got %+v", kp)
	}
}

func TestNumericKeyOwner(t *testing.T) {
	cfg, files, _ := fixture(t, testcerts.Options{})
	cfg.Certificates[0].KeyOwner = "999:998"
	if err := os.Chmod(files.Key, 0o640); err != nil {
		t.Fatal(err)
	}
	kp := New(cfg, 1).Inspect(time.Now()).Entries[0].KeyPermissions[0]
	// The file belongs to the test's user, neither 999 nor root (unless the test runs as root).
	if os.Geteuid() == 0 {
		if kp.User != "999:998" || kp.OK() || kp.Verdict.Reason != "cannot be read by 999:998: Permission denied" {
			t.Fatalf("got %+v", kp)
		}
	} else if kp.Verdict.Reason != "must be owned by the database user (999:998) or root" {
		t.Fatalf("got %+v", kp)
	}
}

// TestKeyOwnerOutOfRange: a numeric key_owner beyond 32 bits is an error,
// not judged for the uid it would wrap to.
func TestKeyOwnerOutOfRange(t *testing.T) {
	cfg, _, _ := fixture(t, testcerts.Options{})
	cfg.Certificates[0].KeyOwner = "4294967295:0"
	kp := New(cfg, 1).Inspect(time.Now()).Entries[0].KeyPermissions[0]
	if kp.OK() || kp.Err == nil || kp.Err.Error() != `key_owner "4294967295:0": uid "4294967295" is not a number in 0..4294967294` {
		t.Fatalf("got %+v", kp)
	}
}

// TestSnapshotWhileTheFirstInspectionRuns: while the first inspection is
// under way, InspectOrSnapshot answers at once with what is ready; after
// it, it inspects.
func TestSnapshotWhileTheFirstInspectionRuns(t *testing.T) {
	cfg, _, _ := fixture(t, testcerts.Options{})
	in := New(cfg, 1)
	if done, total := in.Progress(); done != 0 || total != 1 || in.Complete() {
		t.Fatalf("progress %d of %d, complete %v", done, total, in.Complete())
	}
	in.mu.Lock() // as an inspection under way holds it
	r, full := in.InspectOrSnapshot(time.Now())
	in.mu.Unlock()
	if full || len(r.Entries) != 0 || r.CA != nil {
		t.Fatalf("during the first inspection: full %v, %d entries, CA %v", full, len(r.Entries), r.CA)
	}
	first := in.Inspect(time.Now())
	if done, _ := in.Progress(); done != 1 || !in.Complete() {
		t.Fatalf("after the first inspection: %d done, complete %v", done, in.Complete())
	}
	snap := in.Snapshot(time.Now())
	if len(snap.Entries) != 1 || snap.Entries[0] != first.Entries[0] || snap.CA != first.CA {
		t.Fatalf("snapshot %+v, want the inspection's reports", snap)
	}
	in.mu.Lock()
	locked := make(chan *Report)
	go func() { r, _ := in.InspectOrSnapshot(time.Now()); locked <- r }()
	in.mu.Unlock() // once complete, InspectOrSnapshot waits for the inspection and inspects
	if r := <-locked; len(r.Entries) != 1 || r.Entries[0] != first.Entries[0] {
		t.Fatalf("after completion: %+v", r)
	}
}

// TestInspectEntry reads the CA and the one entry named, nothing else.
func TestInspectEntry(t *testing.T) {
	cfg, _, _ := fixture(t, testcerts.Options{})
	in := New(cfg, 1)
	name := cfg.Certificates[0].Name
	r := in.InspectEntry(name, time.Now())
	if r.CA == nil || r.Authority == nil || len(r.Entries) != 1 || r.Entries[0].Name != name || r.Entry(name) == nil {
		t.Fatalf("InspectEntry(%s) = %+v", name, r)
	}
	if r := in.InspectEntry("", time.Now()); r.CA == nil || len(r.Entries) != 0 {
		t.Fatalf("InspectEntry(\"\") = %+v", r)
	}
}

// TestFileErrorPaths: an unusable file names the path as written and as
// resolved when they differ, and says that "~" is not expanded.
func TestFileErrorPaths(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ cert, want string }{
		{"~/certs/db.crt", "~/certs/db.crt (resolved to " + dir + `/~/certs/db.crt): stat: no such file or directory; "~" is not expanded: write the full path`},
		{"certs/db.crt", "certs/db.crt (resolved to " + dir + "/certs/db.crt): stat: no such file or directory"},
		{dir + "/db.crt", "stat: no such file or directory"},
	}
	for _, tc := range cases {
		cfg, err := config.Parse([]byte("certificates: [{name: db, cert: '"+tc.cert+"'}]\n"), dir)
		if err != nil {
			t.Fatal(err)
		}
		fr := New(cfg, 1).Inspect(time.Now()).Entries[0].Files[0]
		if fr.Err == nil || fr.Err.Error() != tc.want || !errors.Is(fr.Err, fs.ErrNotExist) {
			t.Errorf("%s: err = %v, want %q", tc.cert, fr.Err, tc.want)
		}
	}
}
