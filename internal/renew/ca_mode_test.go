package renew

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCAKeyModeFollowsTheKeyFileRule: the CA key is judged by the rule
// every key file is judged by (PostgreSQL's), for its owner, as check
// judges a key without key_owner: 0600 passes; group or world access does
// not, with that rule's reason.
func TestCAKeyModeFollowsTheKeyFileRule(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the files must be owned by root")
	}
	dir := t.TempDir()
	for mode, want := range map[os.FileMode]string{
		0o600: "",
		0o640: "CA key ca.key has mode 0640: has group or world access; File must have permissions u=rw (0600) or less if owned by the database user",
		0o644: "CA key ca.key has mode 0644: has group or world access; File must have permissions u=rw (0600) or less if owned by the database user",
	} {
		path := filepath.Join(dir, "ca.key")
		if err := os.WriteFile(path, []byte("key"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := caKeyModeWarning("ca.key", fi); got != want {
			t.Errorf("mode %04o: %q\nwant %q", mode, got, want)
		}
	}
}
