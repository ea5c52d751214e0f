package renew

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// ErrBusy means another renew holds the lock.
var ErrBusy = errors.New("another renew is running")

// lock is an exclusive flock on the state folder's lock file. The kernel
// releases it when the process ends, however it ends.
type lock struct{ f *os.File }

// acquireLock takes the lock; with wait it polls until ctx ends,
// otherwise it fails at once with ErrBusy naming the holder's pid.
func acquireLock(ctx context.Context, stateDir string, wait bool) (*lock, error) {
	p := filepath.Join(stateDir, renewstate.LockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", p, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		if !wait {
			holder := readHolder(f)
			_ = f.Close()
			return nil, fmt.Errorf("%w (pid %s holds %s); run again later, or with --wait", ErrBusy, holder, p)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("waiting for the lock %s: %w", p, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Record our pid for the message a second run prints.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &lock{f: f}, nil
}

func readHolder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	if s := strings.TrimSpace(string(buf[:n])); s != "" {
		return s
	}
	return "unknown"
}

// release unlocks and closes the lock file.
func (l *lock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
