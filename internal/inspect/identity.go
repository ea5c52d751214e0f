package inspect

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// maxFileSize bounds what is read of one file; certificate files are a few
// kilobytes.
const maxFileSize = 1 << 20

// identity is what tells a file changed: a change in any field means the
// file must be read again.
type identity struct {
	dev, ino   uint64
	size       int64
	mtimeNanos int64
	mode       fs.FileMode
	uid, gid   uint32
	statErr    string
	statErrno  syscall.Errno // the system error of a failed stat, kept for errors.Is
}

// statFile stats path, following symlinks as servers do.
func statFile(path string) (identity, fs.FileInfo) {
	fi, err := os.Stat(path)
	if err != nil {
		id := identity{statErr: plainIOError(err).Error()}
		var errno syscall.Errno
		if errors.As(err, &errno) {
			id.statErrno = errno
		}
		return id, nil
	}
	id := identity{size: fi.Size(), mtimeNanos: fi.ModTime().UnixNano(), mode: fi.Mode()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino, id.uid, id.gid = st.Dev, st.Ino, st.Uid, st.Gid
	}
	return id, fi
}

// readFile reads a regular file of at most maxFileSize bytes; a FIFO or a
// device is refused without blocking on it.
func readFile(path string) ([]byte, error) {
	data, err := regfile.Read(path, maxFileSize)
	if errors.Is(err, regfile.ErrNotRegular) || errors.Is(err, regfile.ErrTooLarge) {
		return nil, errors.Unwrap(err) // the report names the path
	}
	return data, err
}

// errStat turns a stat failure recorded in an identity into an error.
func (id identity) err() error {
	if id.statErr == "" {
		return nil
	}
	return statError{text: id.statErr, errno: id.statErrno}
}

// statError is a recorded stat failure: its text, and its system error
// for errors.Is (fs.ErrNotExist, fs.ErrPermission).
type statError struct {
	text  string
	errno syscall.Errno
}

func (e statError) Error() string { return e.text }

func (e statError) Unwrap() error {
	if e.errno == 0 {
		return nil
	}
	return e.errno
}
