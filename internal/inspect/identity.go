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
		return identity{statErr: err.Error()}, nil
	}
	id := identity{size: fi.Size(), mtimeNanos: fi.ModTime().UnixNano(), mode: fi.Mode()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino, id.uid, id.gid = st.Dev, st.Ino, st.Uid, st.Gid
	}
	return id, fi
}

// readFile reads a regular file of at most maxFileSize bytes.
func readFile(path string, fi fs.FileInfo) ([]byte, error) {
	if fi != nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)
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
