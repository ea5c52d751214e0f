package testcerts

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"os/user"
	"strconv"
	"testing"
)

// GroupUser is a system user made for a test, with a primary group and one
// supplementary group.
type GroupUser struct {
	Name                   string
	UID                    uint32
	PrimaryGID, ExtraGID   uint32
	PrimaryName, ExtraName string
}

// SupplementaryGroupUser creates a system user (no home, no login shell)
// whose primary group is a group of its own and who is also a member of a
// second group, as postgres is of ssl-cert on Debian; both are removed
// when the test ends. It needs root.
func SupplementaryGroupUser(tb testing.TB) GroupUser {
	tb.Helper()
	RequireRoot(tb)
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	suffix := hex.EncodeToString(b)
	u := GroupUser{Name: "pgtls-u" + suffix, PrimaryName: "pgtls-p" + suffix, ExtraName: "pgtls-x" + suffix}
	run := func(args ...string) {
		tb.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			tb.Fatalf("%v: %v: %s", args, err, out)
		}
	}
	cleanup := func(args ...string) {
		tb.Cleanup(func() {
			if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
				tb.Errorf("%v: %v: %s", args, err, out)
			}
		})
	}
	run("groupadd", "--system", u.PrimaryName)
	cleanup("groupdel", u.PrimaryName)
	run("groupadd", "--system", u.ExtraName)
	cleanup("groupdel", u.ExtraName)
	run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
		"--gid", u.PrimaryName, "--groups", u.ExtraName, u.Name)
	cleanup("userdel", u.Name) // runs first: cleanups are last in, first out
	pu, err := user.Lookup(u.Name)
	if err != nil {
		tb.Fatal(err)
	}
	u.UID, u.PrimaryGID = id(tb, pu.Uid), id(tb, pu.Gid)
	g, err := user.LookupGroup(u.ExtraName)
	if err != nil {
		tb.Fatal(err)
	}
	u.ExtraGID = id(tb, g.Gid)
	return u
}

func id(tb testing.TB, s string) uint32 {
	tb.Helper()
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		tb.Fatalf("id %q: %v", s, err)
	}
	return uint32(n)
}
