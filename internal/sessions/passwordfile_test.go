package sessions

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/certs"
)

// TestPasswordFileNeverBlocks: a password_file that is a FIFO or a link to
// /dev/zero is refused at once instead of blocking a scrape or filling
// memory.
func TestPasswordFileNeverBlocks(t *testing.T) {
	dir := t.TempDir()
	fifo, zero := filepath.Join(dir, "fifo"), filepath.Join(dir, "zero")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo: "read password file: read " + fifo + ": is a named pipe (FIFO), not a regular file",
		zero: "read password file: read " + zero + ": is a character device, not a regular file",
	} {
		if _, err := certs.ReadPasswordFile(path); err == nil || err.Error() != want {
			t.Errorf("%s: %v", path, err)
		}
	}
}
