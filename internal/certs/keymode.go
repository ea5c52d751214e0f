package certs

import (
	"fmt"
	"io/fs"
	"slices"
)

// FileFacts are the stat facts of a key file that PostgreSQL judges.
type FileFacts struct {
	Mode fs.FileMode // type and permission bits, as from os.Stat
	UID  uint32
	GID  uint32
}

// ServerUser is the OS user a server runs as.
type ServerUser struct {
	Name string
	UID  uint32
	// GIDs holds the primary group first, then the supplementary groups.
	GIDs []uint32
}

// PrimaryGID is the user's primary group; ok is false when no group is
// known (a key_owner given as a bare UID).
func (u ServerUser) PrimaryGID() (gid uint32, ok bool) {
	if len(u.GIDs) == 0 {
		return 0, false
	}
	return u.GIDs[0], true
}

// KeyFileVerdict is PostgreSQL's judgement of a key file for a user.
type KeyFileVerdict struct {
	// Accepted: the file passes PostgreSQL's ownership and mode rule.
	Accepted bool
	// Readable: the user can open the file for reading by its mode bits.
	Readable bool
	// Reason explains a refusal in PostgreSQL's own words; empty when both hold.
	Reason string
}

// OK reports whether PostgreSQL would load this key file.
func (v KeyFileVerdict) OK() bool { return v.Accepted && v.Readable }

// JudgeKeyFile applies PostgreSQL's rule for ssl_key_file (check_ssl_key_file
// in be-secure-common.c) to a file as seen by user:
//   - it must be a regular file;
//   - it must be owned by the database user or by root;
//   - owned by the database user it may have no group or other bits
//     (u=rw, 0600, or less);
//   - owned by root it may have group read but no group write/execute and no
//     other bits (u=rw,g=r, 0640, or less).
//
// Passing that rule is not enough: the user must also be able to read the
// file (root:root 0600 passes the rule, then fails with "Permission denied").
func JudgeKeyFile(f FileFacts, user ServerUser) KeyFileVerdict {
	perm := f.Mode.Perm()
	v := KeyFileVerdict{Readable: readable(f, user)}
	switch {
	case !f.Mode.IsRegular():
		v.Reason = "is not a regular file"
	case f.UID != user.UID && f.UID != 0:
		v.Reason = fmt.Sprintf("must be owned by the database user (%s) or root", user.Name)
	case f.UID == user.UID && perm&0o077 != 0:
		v.Reason = "has group or world access; File must have permissions u=rw (0600) or less if owned by the database user"
	case f.UID == 0 && f.UID != user.UID && perm&0o037 != 0:
		v.Reason = "has group or world access; File must have permissions u=rw,g=r (0640) or less if owned by root"
	default:
		v.Accepted = true
	}
	if v.Accepted && !v.Readable {
		v.Reason = fmt.Sprintf("cannot be read by %s: Permission denied", user.Name)
	}
	return v
}

// readable applies Unix permission classes: owner bits for the owner, group
// bits for a group member, other bits for everyone else.
func readable(f FileFacts, user ServerUser) bool {
	perm := f.Mode.Perm()
	switch {
	case user.UID == 0:
		return true
	case f.UID == user.UID:
		return perm&0o400 != 0
	case slices.Contains(user.GIDs, f.GID):
		return perm&0o040 != 0
	default:
		return perm&0o004 != 0
	}
}
