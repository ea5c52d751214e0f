package regfile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	linkToFile := filepath.Join(dir, "link")
	if err := os.Symlink(file, linkToFile); err != nil {
		t.Fatal(err)
	}

	if data, err := Read(linkToFile, 5); err != nil || string(data) != "hello" {
		t.Fatalf("regular file through a link: %q %v", data, err)
	}
	tests := []struct {
		path  string
		limit int64
		want  string
		is    error
	}{
		{fifo, 100, "read " + fifo + ": is a named pipe (FIFO), not a regular file", ErrNotRegular},
		{zero, 100, "read " + zero + ": is a character device, not a regular file", ErrNotRegular},
		{sock, 100, "open " + sock + ": no such device or address", syscall.ENXIO},
		{dir, 100, "read " + dir + ": is a directory, not a file", ErrNotRegular},
		{file, 4, "read " + file + ": file too large: larger than 4 bytes", ErrTooLarge},
		{filepath.Join(dir, "missing"), 100, "open " + filepath.Join(dir, "missing") + ": no such file or directory", os.ErrNotExist},
	}
	for _, tc := range tests {
		_, err := Read(tc.path, tc.limit)
		if err == nil || !errors.Is(err, tc.is) || err.Error() != tc.want {
			t.Errorf("Read(%s) = %v, want %q (%v)", tc.path, err, tc.want, tc.is)
		}
		if tc.is == ErrTooLarge {
			continue
		}
		if err := Readable(tc.path); err == nil || !errors.Is(err, tc.is) || err.Error() != tc.want {
			t.Errorf("Readable(%s) = %v, want %q (%v)", tc.path, err, tc.want, tc.is)
		}
	}
	if err := Readable(linkToFile); err != nil {
		t.Errorf("Readable(regular file through a link) = %v", err)
	}
}
