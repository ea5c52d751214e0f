package config

import (
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/certs"
)

// MaxID is the largest uid or gid a key_owner may name: 4294967295 is
// (uid_t)-1, which chown reads as "leave unchanged".
const MaxID = 1<<32 - 2

// NumericOwner is a key_owner written as numbers: "UID" or "UID:GID".
type NumericOwner struct {
	UID    uint32
	GID    uint32
	HasGID bool
}

// ParseNumericOwner reads a key_owner written as "UID" or "UID:GID". It
// reports ok=false for a user name. A value written as numbers (a ':' is
// never part of a user name, a sign or digits alone are never one) that is
// not a decimal id in 0..MaxID is an error, never a wrapped or negative id.
func ParseNumericOwner(s string) (owner NumericOwner, ok bool, err error) {
	uidText, gidText, hasGID := strings.Cut(s, ":")
	if !hasGID && !looksNumeric(uidText) {
		return NumericOwner{}, false, nil
	}
	uid, err := ParseID(uidText)
	if err != nil {
		return NumericOwner{}, true, fmt.Errorf("uid %w", err)
	}
	owner = NumericOwner{UID: uid}
	if hasGID {
		gid, err := ParseID(gidText)
		if err != nil {
			return NumericOwner{}, true, fmt.Errorf("gid %w", err)
		}
		owner.GID, owner.HasGID = gid, true
	}
	return owner, true, nil
}

// ParseID reads a decimal uid or gid in 0..MaxID.
func ParseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > MaxID {
		return 0, fmt.Errorf("%q is not a number in 0..%d", s, uint64(MaxID))
	}
	return uint32(n), nil
}

// looksNumeric reports a value meant as a number: digits with an optional
// sign.
func looksNumeric(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// LookupKeyOwner resolves a key_owner to the user a server runs as, the
// one resolver for check (which judges key files for that user) and renew
// (which writes them for it). A user name is looked up in the user
// database; its groups are its primary group first, then every
// supplementary group, since the server opens the key with all of them. A
// numeric "UID" or "UID:GID" is taken as is (containers often have no
// passwd entry for the database user): its one group is GID, none for a
// bare UID.
func LookupKeyOwner(keyOwner string) (certs.ServerUser, error) {
	num, isNum, err := ParseNumericOwner(keyOwner)
	if err != nil {
		return certs.ServerUser{}, fmt.Errorf("key_owner %q: %w", keyOwner, err)
	}
	if isNum {
		su := certs.ServerUser{Name: keyOwner, UID: num.UID}
		if num.HasGID {
			su.GIDs = []uint32{num.GID}
		}
		return su, nil
	}
	u, err := user.Lookup(keyOwner)
	if err != nil {
		return certs.ServerUser{}, fmt.Errorf("key_owner %q: %w", keyOwner, err)
	}
	uid, err := ParseID(u.Uid)
	if err != nil {
		return certs.ServerUser{}, fmt.Errorf("key_owner %q: user database: uid %w", keyOwner, err)
	}
	primary, err := ParseID(u.Gid)
	if err != nil {
		return certs.ServerUser{}, fmt.Errorf("key_owner %q: user database: gid %w", keyOwner, err)
	}
	su := certs.ServerUser{Name: keyOwner, UID: uid, GIDs: []uint32{primary}}
	groups, err := u.GroupIds()
	if err != nil {
		return su, nil // the primary group is known; supplementary ones are not
	}
	for _, g := range groups {
		if n, err := ParseID(g); err == nil && !slices.Contains(su.GIDs, n) {
			su.GIDs = append(su.GIDs, n)
		}
	}
	return su, nil
}
