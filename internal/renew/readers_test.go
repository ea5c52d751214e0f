package renew

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// TestLegacyEncryptedKeySameVerdict: a key in OpenSSL's legacy encrypted
// PEM form (Proc-Type: 4,ENCRYPTED) is "encrypted" to check, as an
// entry's key, and to renew, as the CA key, in the same words; renew used
// to call it a block that does not parse.
func TestLegacyEncryptedKeySameVerdict(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(10*24*time.Hour))
	legacy := testcerts.LegacyEncryptedKey(t)
	testcerts.WriteFile(t, f.path("certs/postgres.key"), legacy, 0o600)
	sentence := certs.ErrKeyEncrypted.Error()
	if sentence != "private key is encrypted" {
		t.Fatalf("sentence %q", sentence)
	}

	var got []string
	for _, fd := range rules.FileFindings(inspect.New(f.config(t), 1).Inspect(time.Now()), rules.DefaultPolicy()) {
		if fd.Code == rules.KeyEncrypted {
			got = append(got, fd.Entry+" "+fd.Path+": "+fd.Detail)
		}
	}
	if want := "postgres certs/postgres.key: " + sentence + "; cannot check that it matches"; strings.Join(got, "\n") != want {
		t.Fatalf("check findings:\n%s\nwant %q", strings.Join(got, "\n"), want)
	}

	testcerts.WriteFile(t, f.path("certs/ca/ca.key"), legacy, 0o600)
	before := snapshot(t, f.path("certs"))
	code, out := f.run(t, Options{Force: true, NoReload: true})
	if want := "CA key certs/ca/ca.key: " + sentence + "\n"; code == ExitOK || !strings.Contains(out, want) {
		t.Fatalf("exit %d, want the refusal %q:\n%s", code, want, out)
	}
	if d := diffSnapshots(before, snapshot(t, f.path("certs"))); d != "" {
		t.Fatalf("files changed:\n%s", d)
	}
}

// TestKeyOwnerSupplementaryGroup: key_owner names a user who reads the old
// key only through a supplementary group (root:group 0640, as postgres
// reads ssl-cert keys on Debian). Renew writes the new key and combined
// PEM owned by that user and its primary group, with a mode check accepts
// for that user; it used to keep 0640, which PostgreSQL refuses for a
// key its own user owns.
func TestKeyOwnerSupplementaryGroup(t *testing.T) {
	u := testcerts.SupplementaryGroupUser(t)
	f := newFixture(t, "").withCerts(t, time.Now().Add(10*24*time.Hour))
	testcerts.WriteFile(t, f.cfgPath, []byte(strings.Replace(baseConfig, "    combined: certs/postgres-combined.pem\n",
		"    combined: certs/postgres-combined.pem\n    key_owner: "+u.Name+"\n", 1)), 0o644)
	files := []string{f.path("certs/postgres.key"), f.path("certs/postgres-combined.pem")}
	for _, p := range files {
		if err := os.Chown(p, 0, int(u.ExtraGID)); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	// A combined PEM is judged for its owner (root here), not key_owner.
	requirePermissionsOK(t, f, "before renew", "certs/postgres.key")

	if code, out := f.run(t, Options{Force: true, NoReload: true}); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	user, err := config.LookupKeyOwner(u.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range files {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != u.UID || st.Gid != u.PrimaryGID {
			t.Errorf("%s: owner %d:%d, want %d:%d", p, st.Uid, st.Gid, u.UID, u.PrimaryGID)
		}
		if v := certs.JudgeKeyFile(certs.FileFacts{Mode: fi.Mode(), UID: st.Uid, GID: st.Gid}, user); !v.OK() || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o: %+v", p, fi.Mode().Perm(), v)
		}
	}
	requirePermissionsOK(t, f, "after renew", "certs/postgres.key", "certs/postgres-combined.pem")
}

// requirePermissionsOK checks that check accepts the postgres entry's
// files at paths (relative, as configured).
func requirePermissionsOK(t *testing.T, f *fixture, when string, paths ...string) {
	t.Helper()
	var rows []string
	accepted := 0
	for _, fd := range rules.FileFindings(inspect.New(f.config(t), 1).Inspect(time.Now()), rules.DefaultPolicy()) {
		if fd.Entry == "postgres" && fd.Check == rules.CheckPermissions {
			rows = append(rows, fmt.Sprintf("%s %s: %s", fd.Code, fd.Path, fd.Detail))
			if slices.Contains(paths, fd.Path) && fd.Code == "" {
				accepted++
			}
		}
	}
	if accepted != len(paths) {
		t.Fatalf("%s: want %q accepted, got:\n%s", when, paths, strings.Join(rows, "\n"))
	}
}
