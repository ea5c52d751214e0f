package inspect

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
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

// ErrNotAFile marks a configured path that is not a regular file of a
// sensible size (a folder, a device, a FIFO, a huge file): it is not read.
var ErrNotAFile = errors.New("not a readable file")

// notAFile is why a path is not read; errors.Is(err, ErrNotAFile) holds.
type notAFile string

func (e notAFile) Error() string        { return string(e) }
func (e notAFile) Is(target error) bool { return target == ErrNotAFile }

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

// readFile reads a regular file of at most maxFileSize bytes.
func readFile(path string, fi fs.FileInfo) ([]byte, error) {
	switch {
	case fi == nil, fi.Mode().IsRegular():
	case fi.IsDir():
		return nil, notAFile("is a directory, not a file")
	default:
		return nil, notAFile(fmt.Sprintf("is not a regular file (%s)", fi.Mode().Type()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, notAFile(fmt.Sprintf("larger than %d bytes", maxFileSize))
	}
	return data, nil
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
