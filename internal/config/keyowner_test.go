package config

import (
	"slices"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// TestLookupKeyOwner: a user name resolves to its uid, its primary group
// first and its supplementary groups; numbers are taken as written.
func TestLookupKeyOwner(t *testing.T) {
	u := testcerts.SupplementaryGroupUser(t)
	got, err := LookupKeyOwner(u.Name)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != u.Name || got.UID != u.UID || !slices.Equal(got.GIDs, []uint32{u.PrimaryGID, u.ExtraGID}) {
		t.Fatalf("%s: %+v, want uid %d groups [%d %d]", u.Name, got, u.UID, u.PrimaryGID, u.ExtraGID)
	}
	if gid, ok := got.PrimaryGID(); !ok || gid != u.PrimaryGID {
		t.Fatalf("primary group %d %v", gid, ok)
	}
	for in, want := range map[string]certs.ServerUser{
		"70":     {Name: "70", UID: 70},
		"70:999": {Name: "70:999", UID: 70, GIDs: []uint32{999}},
	} {
		got, err := LookupKeyOwner(in)
		if err != nil || got.Name != want.Name || got.UID != want.UID || !slices.Equal(got.GIDs, want.GIDs) {
			t.Errorf("%s: %+v %v, want %+v", in, got, err, want)
		}
	}
	if _, ok := (certs.ServerUser{UID: 70}).PrimaryGID(); ok {
		t.Error("a bare UID has a primary group")
	}
	if _, err := LookupKeyOwner("no-such-user-pgtls"); err == nil || err.Error() != `key_owner "no-such-user-pgtls": user: unknown user no-such-user-pgtls` {
		t.Errorf("unknown user: %v", err)
	}
}
