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
}

// statFile stats path, following symlinks as servers do.
func statFile(path string) (identity, fs.FileInfo) {
	fi, err := os.Stat(path)
	if err != nil {
		return identity{statErr: plainIOError(err).Error()}, nil
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
		return nil, errors.New("is a directory, not a file")
	default:
		return nil, fmt.Errorf("is not a regular file (%s)", fi.Mode().Type())
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
		return nil, fmt.Errorf("larger than %d bytes", maxFileSize)
	}
	return data, nil
}

// errStat turns a stat failure recorded in an identity into an error.
func (id identity) err() error {
	if id.statErr == "" {
		return nil
	}
	return errors.New(id.statErr)
}
