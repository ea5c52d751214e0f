// Package atomicfile writes files so that a crash leaves either the old or
// the new content at a path, never a torn file: data goes to a file beside
// the target, is synced, and is renamed into place, and the folder is synced.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Owner is who a written file belongs to; a negative id is left as created
// (the writing process's).
type Owner struct {
	UID, GID int
}

// Unchanged leaves ownership as created.
func Unchanged() Owner { return Owner{UID: -1, GID: -1} }

// WriteNew writes data to path, which must not exist as anything but a
// leftover regular file (it is replaced), with mode and owner, and syncs
// it. It does not sync the folder: callers rename the file afterwards.
func WriteNew(path string, data []byte, mode fs.FileMode, owner Owner) error {
	if _, err := os.Lstat(path); err == nil { // unlink fails on a read-only mount even for a missing name
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove leftover %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	err = fill(f, data, mode, owner)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", path, cerr)
	}
	if err != nil {
		_ = os.Remove(path)
		return err
	}
	return nil
}

func fill(f *os.File, data []byte, mode fs.FileMode, owner Owner) error {
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if owner.UID >= 0 || owner.GID >= 0 {
		if err := f.Chown(owner.UID, owner.GID); err != nil {
			return fmt.Errorf("chown %s to %d:%d: %w", f.Name(), owner.UID, owner.GID, err)
		}
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	return nil
}

// Write replaces path with data atomically: a synced temporary file beside
// it is renamed over it and the folder is synced.
func Write(path string, data []byte, mode fs.FileMode, owner Owner) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := WriteNew(tmp, data, mode, owner); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename %s into place: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir syncs a folder, making renames and removals in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
