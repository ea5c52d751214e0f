package renew

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// removeStaged removes a staged file; one that is not there is fine (on a
// read-only file system unlink fails even for a missing name).
func removeStaged(path string) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// matchesOld reports whether f's path holds what it held before the
// transaction: the backed-up content with its mode and owner, or nothing
// when there was no file (a new CA's kept file counts as restored).
func matchesOld(f JournalFile) error {
	if !f.Existed {
		if _, err := os.Lstat(f.Path); err == nil && !f.Keep {
			return errors.New("a file is there that did not exist before")
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	data, fi, err := readOld(f.Path)
	if err != nil {
		return err
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	switch {
	case sum(data) != f.OldSHA256:
		return errors.New("its content differs from the backup")
	case fi.Mode().Perm() != f.OldMode:
		return fmt.Errorf("mode %04o, was %04o", fi.Mode().Perm(), f.OldMode)
	case st != nil && (int(st.Uid) != f.OldUID || int(st.Gid) != f.OldGID):
		return fmt.Errorf("owner %d:%d, was %d:%d", st.Uid, st.Gid, f.OldUID, f.OldGID)
	}
	return nil
}
