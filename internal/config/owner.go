package config

import (
	"fmt"
	"strconv"
	"strings"
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
