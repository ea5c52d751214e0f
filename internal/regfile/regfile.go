// Package regfile reads small files named by the configuration. It reads
// only regular files, up to a size limit, and never blocks on opening: a
// path that leads to a FIFO, a device such as /dev/zero, a socket or a
// folder is refused, so a wrong path cannot hang or exhaust the process.
package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Size limits of the files the exporter reads.
const (
	// MaxConfig bounds the configuration file: one of 100,000
	// certificates entries is about 10 MB.
	MaxConfig = 64 << 20
	// MaxAudit bounds each server configuration file the audit reads
	// offline (pg_hba.conf, pgbouncer.ini and the files they include).
	MaxAudit = 4 << 20
	// MaxSmall bounds passwords, pid files, certificates, keys, renew
	// state and journals.
	MaxSmall = 1 << 20
)

// ErrNotRegular is wrapped by the error for a path that is no regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by the error for a file beyond the limit.
var ErrTooLarge = errors.New("file too large")

// Read returns the content of the regular file at path (symlinks are
// followed) when it holds at most limit bytes. Errors are *fs.PathError.
func Read(path string, limit int64) ([]byte, error) {
	f, fi, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: tooLarge(limit)}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: tooLarge(limit)}
	}
	return data, nil
}

// Readable reports whether path (symlinks followed) is a regular file
// this process can open for reading, without reading it. Errors are
// *fs.PathError, as Read's.
func Readable(path string) error {
	f, _, err := open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// open opens the regular file at path for reading, without blocking.
func open(path string) (*os.File, fs.FileInfo, error) {
	// O_NONBLOCK: opening a FIFO without a writer returns at once
	// instead of waiting for one; it changes nothing for regular files.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "read", Path: path, Err: notRegular(fi.Mode())}
	}
	return f, fi, nil
}

func tooLarge(limit int64) error {
	return fmt.Errorf("%w: larger than %d bytes", ErrTooLarge, limit)
}

// notRegularError says what a path is instead of a regular file.
type notRegularError struct{ msg string }

func (e notRegularError) Error() string        { return e.msg }
func (e notRegularError) Is(target error) bool { return target == ErrNotRegular }

func notRegular(m fs.FileMode) error {
	kind := "special file"
	switch {
	case m.IsDir():
		return notRegularError{"is a directory, not a file"}
	case m&fs.ModeNamedPipe != 0:
		kind = "named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		kind = "character device"
	case m&fs.ModeDevice != 0:
		kind = "block device"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	}
	return notRegularError{"is a " + kind + ", not a regular file"}
}
