package renew

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
)

// Inode flags from linux/fs.h (x/sys/unix does not name them).
const (
	fsImmutableFl = 0x10 // FS_IMMUTABLE_FL, chattr +i
	fsAppendFl    = 0x20 // FS_APPEND_FL, chattr +a
)

// checkWritable proves, before anything is journaled, that every new file
// can be installed: its folder takes a staged file with the file's mode and
// owner (so chown is allowed) and lets it be removed again, and the file it
// replaces is neither immutable nor append-only. A read-only mount, a
// folder or file locked with chattr, or a key_owner the process may not
// give files to is refused here, while nothing has changed.
func checkWritable(files []newFile) error {
	var errs []error
	for _, f := range files {
		if err := checkInstallable(f); err != nil {
			errs = append(errs, fmt.Errorf("entry %s: %s file %s cannot be installed: %w", f.entry, f.role, f.path, err))
		}
	}
	return errors.Join(errs...)
}

func checkInstallable(f newFile) error {
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	probe := stagedPath(f.path)
	if err := atomicfile.WriteNew(probe, nil, f.mode, f.owner); err != nil {
		return fmt.Errorf("folder %s does not take a new file: %w", dir, err)
	}
	if err := os.Remove(probe); err != nil {
		return fmt.Errorf("folder %s lets files be created but not removed (%s is left there): %w", dir, probe, err)
	}
	fi, err := os.Lstat(f.path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
		return nil // nothing there, or a link: the rename replaces the name itself
	}
	if err != nil {
		return err
	}
	flags, err := inodeFlags(f.path)
	switch {
	case err != nil:
		return nil // the file system keeps no such flags
	case flags&fsImmutableFl != 0:
		return errors.New("the file is immutable (chattr +i); nothing may replace it")
	case flags&fsAppendFl != 0:
		return errors.New("the file is append-only (chattr +a); nothing may replace it")
	}
	return nil
}

// inodeFlags reads a regular file's inode flags (what lsattr shows).
func inodeFlags(path string) (uint32, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		return 0, fmt.Errorf("read inode flags of %s: %w", path, err)
	}
	return flags, nil
}
