package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// osUser is the operating system account the servers run as. When the
// current process is not root, servers run as the current user and no
// ownership changes are made.
type osUser struct {
	name     string
	uid, gid int
	switchTo bool // run commands with these credentials and chown files to them
}

// resolveOSUser picks the account for the servers: name when running as root,
// the current user otherwise.
func resolveOSUser(name string) (osUser, error) {
	if os.Geteuid() != 0 {
		return osUser{name: "current", uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return osUser{}, fmt.Errorf("%w: running as root needs OS user %q for the servers: %w", ErrUnavailable, name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return osUser{}, fmt.Errorf("parse uid of %q: %w", name, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return osUser{}, fmt.Errorf("parse gid of %q: %w", name, err)
	}
	return osUser{name: name, uid: uid, gid: gid, switchTo: true}, nil
}

// command builds a command that runs as the server account in dir, with a
// small fixed environment, and never waits long for its output pipes.
func (u osUser) command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TZ=UTC"}
	if u.switchTo {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
			Uid: uint32(u.uid), Gid: uint32(u.gid), Groups: []uint32{},
		}}
	}
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// run runs a command as the server account and returns its combined output.
// The error names the command and carries its output.
func (u osUser) run(ctx context.Context, dir, name string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := u.command(ctx, dir, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("run %s %s as %s: %w\n%s",
			filepath.Base(name), strings.Join(args, " "), u.name, err, tail(out.String(), 20))
	}
	return out.String(), nil
}

// chown gives path to the server account (a no-op when not running as root).
func (u osUser) chown(path string) error {
	if !u.switchTo {
		return nil
	}
	if err := os.Chown(path, u.uid, u.gid); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, u.name, err)
	}
	return nil
}

// mkdir creates dir with mode and gives it to the server account.
func (u osUser) mkdir(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	return u.chown(dir)
}

// writeFile writes data to path with mode and gives it to the server account.
func (u osUser) writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return u.chown(path)
}

// makeTraversable adds search (x) permission for group and others to dir and
// each of its parents, so that the server account can reach files below it.
// Nothing else changes; folders that already allow it are left alone.
func makeTraversable(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("absolute path of %s: %w", dir, err)
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("stat %s: %w", dir, err)
		}
		if mode := fi.Mode().Perm(); mode&0o011 != 0o011 {
			if err := os.Chmod(dir, mode|0o011); err != nil {
				return fmt.Errorf("open up %s for the servers: %w", dir, err)
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

// readPID reads the process id from the first line of a pid file.
func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read pid file: %w", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s holds no pid: %q", path, first)
	}
	return pid, nil
}

// alive reports whether pid names a running process. Zombies, which a
// container's init may never reap, count as gone.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

// stopSignal is one step of a bounded shutdown: send sig, then wait up to wait.
type stopSignal struct {
	sig  syscall.Signal
	wait time.Duration
}

// stopPID walks through steps until pid is gone, and fails if it outlives
// them all or ctx ends. name is used in errors.
func stopPID(ctx context.Context, name string, pid int, steps ...stopSignal) error {
	for _, step := range steps {
		if !alive(pid) {
			return nil
		}
		if err := syscall.Kill(pid, step.sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("signal %s (pid %d) with %v: %w", name, pid, step.sig, err)
		}
		if waitGone(ctx, pid, step.wait) {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("stop %s (pid %d): %w", name, pid, ctx.Err())
		}
	}
	return fmt.Errorf("%s (pid %d) still running after %v", name, pid, steps[len(steps)-1].sig)
}

// waitGone polls until pid is gone, d has passed or ctx ends, and reports
// whether it is gone.
func waitGone(ctx context.Context, pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for alive(pid) {
		if time.Now().After(deadline) || sleepCtx(ctx, 20*time.Millisecond) != nil {
			return false
		}
	}
	return true
}

// fileTail returns the last n lines of a file, or a note saying why it cannot.
func fileTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return tail(string(data), n)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// sleepCtx waits for d or until ctx ends, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
