package rules

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/inspect"
)

func TestPermissionText(t *testing.T) {
	postgres := certs.ServerUser{Name: "postgres", UID: 101, GIDs: []uint32{104}}
	root := certs.ServerUser{Name: "root", UID: 0}
	judged := func(owner, group string, uid, gid uint32, mode fs.FileMode, keyOwner string, user certs.ServerUser) inspect.KeyPermission {
		return inspect.KeyPermission{Mode: mode, UID: uid, GID: gid, Owner: owner, Group: group, User: user.Name, KeyOwner: keyOwner,
			Verdict: certs.JudgeKeyFile(certs.FileFacts{Mode: mode, UID: uid, GID: gid}, user)}
	}
	tests := []struct {
		name  string
		kp    inspect.KeyPermission
		loose bool
		want  string
	}{
		{"world-readable, no key_owner", judged("root", "root", 0, 0, 0o644, "", root), true,
			"root:root 0644: PostgreSQL would refuse it as ssl_key_file: has group or world access; File must have permissions u=rw (0600) or less if owned by the database user (no key_owner is set: set it to the server's user to judge for that user)"},
		{"world-readable, key_owner", judged("root", "root", 0, 0, 0o644, "postgres", postgres), false,
			"root:root 0644: PostgreSQL (running as postgres) refuses it: has group or world access; File must have permissions u=rw,g=r (0640) or less if owned by root"},
		{"group-readable by the database user", judged("postgres", "postgres", 101, 104, 0o640, "postgres", postgres), false,
			"postgres:postgres 0640: PostgreSQL (running as postgres) refuses it: has group or world access; File must have permissions u=rw (0600) or less if owned by the database user"},
		{"root-only", judged("root", "root", 0, 0, 0o600, "postgres", postgres), false,
			"root:root 0600: PostgreSQL (running as postgres) refuses it: cannot be read by postgres: Permission denied"},
		{"another owner", judged("app", "app", 1000, 1000, 0o600, "postgres", postgres), false,
			"app:app 0600: PostgreSQL (running as postgres) refuses it: must be owned by the database user (postgres) or root"},
		{"root:postgres 0640", judged("root", "postgres", 0, 104, 0o640, "postgres", postgres), false,
			"root:postgres 0640: PostgreSQL (running as postgres) accepts it"},
		{"owner-only, no key_owner", judged("postgres", "postgres", 101, 104, 0o600, "", postgres), false,
			"postgres:postgres 0600: PostgreSQL accepts it for its owner postgres"},
		{"cannot judge", inspect.KeyPermission{KeyOwner: "nobody-here", Err: errors.New(`key_owner "nobody-here": unknown user`)}, false,
			`cannot judge: key_owner "nobody-here": unknown user`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := permissionText(tc.kp, tc.loose); got != tc.want {
				t.Errorf("permissionText:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestPermissionFindingWording: key_mode_loose says what PostgreSQL would
// do; key_mode_refused says what the server does.
func TestPermissionFindingWording(t *testing.T) {
	root := certs.ServerUser{Name: "root", UID: 0}
	kp := inspect.KeyPermission{Mode: 0o644, Owner: "root", Group: "root", User: "root",
		Verdict: certs.JudgeKeyFile(certs.FileFacts{Mode: 0o644}, root)}
	loose := permissionFinding("pg", kp)
	if loose.Code != KeyModeLoose || loose.Detail != "root:root 0644: PostgreSQL would refuse it as ssl_key_file: has group or world access; "+
		"File must have permissions u=rw (0600) or less if owned by the database user (no key_owner is set: set it to the server's user to judge for that user)" {
		t.Errorf("loose: %s %q", loose.Code, loose.Detail)
	}
	kp.KeyOwner, kp.Role = "root", inspect.RoleKey // key_owner names the server: its refusal is certain
	refused := permissionFinding("pg", kp)
	if refused.Code != KeyModeRefused || refused.Detail != "root:root 0644: PostgreSQL (running as root) refuses it: has group or world access; "+
		"File must have permissions u=rw (0600) or less if owned by the database user" {
		t.Errorf("refused: %s %q", refused.Code, refused.Detail)
	}
}
