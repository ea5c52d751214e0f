package inspect

import (
	"fmt"
	"os/user"
	"strconv"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
)

// lookupServerUser resolves a user name to its uid and groups. A numeric
// "UID" or "UID:GID" is taken as is (containers often have no passwd entry
// for the database user).
func lookupServerUser(name string) (certs.ServerUser, error) {
	num, isNum, err := config.ParseNumericOwner(name)
	if err != nil {
		return certs.ServerUser{}, fmt.Errorf("key_owner %q: %w", name, err)
	}
	if isNum {
		su := certs.ServerUser{Name: name, UID: num.UID}
		if num.HasGID {
			su.GIDs = []uint32{num.GID}
		}
		return su, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return certs.ServerUser{}, fmt.Errorf("key_owner %q: %w", name, err)
	}
	uid, err := config.ParseID(u.Uid)
	if err != nil {
		return certs.ServerUser{}, fmt.Errorf("key_owner %q: user database: uid %w", name, err)
	}
	su := certs.ServerUser{Name: name, UID: uid}
	gids, err := u.GroupIds()
	if err != nil {
		gids = []string{u.Gid}
	}
	for _, g := range gids {
		if n, err := config.ParseID(g); err == nil {
			su.GIDs = append(su.GIDs, n)
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
