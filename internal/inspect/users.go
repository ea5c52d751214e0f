package inspect

import (
	"fmt"
	"os/user"
	"strconv"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/certs"
)

// lookupServerUser resolves a user name to its uid and groups. A numeric
// "UID" or "UID:GID" is taken as is (containers often have no passwd entry
// for the database user).
func lookupServerUser(name string) (certs.ServerUser, error) {
	if su, ok := numericUser(name); ok {
		return su, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return certs.ServerUser{}, fmt.Errorf("key_owner %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return certs.ServerUser{}, fmt.Errorf("key_owner %q: uid %q: %w", name, u.Uid, err)
	}
	su := certs.ServerUser{Name: name, UID: uint32(uid)}
	gids, err := u.GroupIds()
	if err != nil {
		gids = []string{u.Gid}
	}
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			su.GIDs = append(su.GIDs, uint32(n))
		}
	}
	return su, nil
}

// userName returns the name of uid, or the number when it has none.
func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return id
}

// groupName returns the name of gid, or the number when it has none.
func groupName(gid uint32) string {
	id := strconv.FormatUint(uint64(gid), 10)
	if g, err := user.LookupGroupId(id); err == nil {
		return g.Name
	}
	return id
}

func numericUser(s string) (certs.ServerUser, bool) {
	uidText, gidText, hasGID := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(uidText, 10, 32)
	if err != nil {
		return certs.ServerUser{}, false
	}
	su := certs.ServerUser{Name: s, UID: uint32(uid)}
	if hasGID {
		gid, err := strconv.ParseUint(gidText, 10, 32)
		if err != nil {
			return certs.ServerUser{}, false
		}
		su.GIDs = []uint32{uint32(gid)}
	}
	return su, true
}
