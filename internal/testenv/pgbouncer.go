package testenv

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
)

func (s *Stack) bouncerDir() string { return filepath.Join(s.dir, "pgbouncer") }

// PgBouncerConfigFile is the path of pgbouncer.ini.
func (s *Stack) PgBouncerConfigFile() string { return filepath.Join(s.bouncerDir(), "pgbouncer.ini") }

// PgBouncerLogFile is the path of PgBouncer's log file.
func (s *Stack) PgBouncerLogFile() string { return filepath.Join(s.bouncerDir(), "pgbouncer.log") }

func (s *Stack) bouncerPidFile() string { return filepath.Join(s.bouncerDir(), "pgbouncer.pid") }

// PgBouncerLog returns the contents of PgBouncer's log file.
func (s *Stack) PgBouncerLog() (string, error) {
	data, err := os.ReadFile(s.PgBouncerLogFile())
	if err != nil {
		return "", fmt.Errorf("testenv: read PgBouncer log: %w", err)
	}
	return string(data), nil
}

// bouncerErr wraps err with what failed and the tail of PgBouncer's log.
func (s *Stack) bouncerErr(what string, err error) error {
	return fmt.Errorf("testenv: %s: %w\n--- tail of %s ---\n%s",
		what, err, s.PgBouncerLogFile(), fileTail(s.PgBouncerLogFile(), 25))
}

// writePgBouncerConfig writes pgbouncer.ini and userlist.txt. The folder and
// every file PgBouncer writes belong to the server account: a root-owned log
// file makes `pgbouncer -d` exit 0 without starting.
func (s *Stack) writePgBouncerConfig() error {
	if err := s.user.mkdir(s.bouncerDir(), 0o755); err != nil {
		return fmt.Errorf("testenv: PgBouncer dir: %w", err)
	}
	if err := s.user.mkdir(s.PgBouncerSocketDir(), 0o755); err != nil {
		return fmt.Errorf("testenv: PgBouncer socket dir: %w", err)
	}
	var users strings.Builder
	for _, u := range []string{UserPostgres, UserApp, UserMonitor, UserStats} {
		fmt.Fprintf(&users, "%q %q\n", u, s.passwords[u])
	}
	userlist := filepath.Join(s.bouncerDir(), "userlist.txt")
	if err := s.user.writeFile(userlist, []byte(users.String()), 0o600); err != nil {
		return fmt.Errorf("testenv: PgBouncer userlist: %w", err)
	}
	clientMode, serverMode := s.opts.PgBouncerClientTLSMode, s.opts.PgBouncerServerTLSMode
	if clientMode == "" {
		clientMode = "require"
	}
	if serverMode == "" {
		serverMode = "verify-full"
	}
	c := s.opts.Certs
	ini := strings.Join([]string{
		"; pgtls_exporter test stack",
		"[databases]",
		"* = host=127.0.0.1 port=" + strconv.Itoa(s.pgPort),
		"",
		"[pgbouncer]",
		"listen_addr = 127.0.0.1",
		"listen_port = " + strconv.Itoa(s.bouncerPort),
		"unix_socket_dir = " + s.PgBouncerSocketDir(),
		"auth_type = scram-sha-256",
		"auth_file = " + userlist,
		"admin_users = " + UserStats,
		"stats_users = " + UserStats,
		"pool_mode = transaction",
		"max_client_conn = 100",
		"default_pool_size = 10",
		"logfile = " + s.PgBouncerLogFile(),
		"pidfile = " + s.bouncerPidFile(),
		"client_tls_sslmode = " + clientMode,
		"client_tls_cert_file = " + c.PgBouncerCert,
		"client_tls_key_file = " + c.PgBouncerKey,
		"client_tls_ca_file = " + c.CA,
		"server_tls_sslmode = " + serverMode,
		"server_tls_ca_file = " + c.CA,
		"query_wait_timeout = 5",
		"server_login_retry = 1",
		"server_connect_timeout = 5",
		"ignore_startup_parameters = extra_float_digits",
		"log_connections = 1",
		"log_disconnections = 1",
		strings.Join(s.opts.PgBouncerConf, "\n"),
		"",
	}, "\n")
	if err := s.user.writeFile(s.PgBouncerConfigFile(), []byte(ini), 0o644); err != nil {
		return fmt.Errorf("testenv: pgbouncer.ini: %w", err)
	}
	return nil
}

// StartPgBouncer starts `pgbouncer -d` as the server account (again, after
// StopPgBouncer) on its port and waits until its admin console answers on the
// TCP port.
func (s *Stack) StartPgBouncer(ctx context.Context) error {
	if !s.opts.WithPgBouncer {
		return errors.New("testenv: start PgBouncer: stack has no PgBouncer (Options.WithPgBouncer)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("testenv: start PgBouncer: stack is closed")
	}
	if alive(s.bouncerPID) {
		return fmt.Errorf("testenv: start PgBouncer: already running as pid %d", s.bouncerPID)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	begin := time.Now()
	if _, err := s.user.run(ctx, s.bouncerDir(), s.bouncer, "-d", s.PgBouncerConfigFile()); err != nil {
		return s.bouncerErr("start PgBouncer", err)
	}
	for {
		pid, err := readPID(s.bouncerPidFile())
		if err == nil && alive(pid) {
			s.bouncerPID = pid
			break
		}
		if serr := sleepCtx(ctx, 20*time.Millisecond); serr != nil {
			return s.bouncerErr("wait for PgBouncer pid file", errors.Join(serr, err))
		}
	}
	for {
		conn, err := s.connect(ctx, s.PgBouncerDSN(UserStats, "pgbouncer", "prefer"))
		if err == nil {
			_ = conn.Close(context.Background())
			break
		}
		if !alive(s.bouncerPID) {
			return s.bouncerErr("start PgBouncer", fmt.Errorf("pid %d exited: %w", s.bouncerPID, err))
		}
		if serr := sleepCtx(ctx, pollInterval); serr != nil {
			return s.bouncerErr("wait for PgBouncer", errors.Join(serr, err))
		}
	}
	s.log.Debug("PgBouncer started", "pid", s.bouncerPID, "port", s.bouncerPort,
		"elapsed", time.Since(begin).Round(time.Millisecond))
	return nil
}

// StopPgBouncer stops PgBouncer by pid: SIGTERM (immediate shutdown in
// 1.18), then SIGKILL, each with a bounded wait. It is a no-op when PgBouncer
// is not running.
func (s *Stack) StopPgBouncer(ctx context.Context) error {
	if !s.opts.WithPgBouncer {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pid := s.bouncerPID
	if pid == 0 {
		// A start that failed half-way may have left PgBouncer behind.
		pid, _ = readPID(s.bouncerPidFile())
	}
	if pid == 0 {
		return nil
	}
	err := stopPID(ctx, "PgBouncer", pid,
		stopSignal{syscall.SIGTERM, 10 * time.Second},
		stopSignal{syscall.SIGKILL, 5 * time.Second})
	if err != nil {
		return s.bouncerErr("stop PgBouncer", err)
	}
	s.bouncerPID = 0
	return nil
}

// PgBouncerPID is PgBouncer's pid, or 0 when it is not running.
func (s *Stack) PgBouncerPID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bouncerPID
}

// reloadPgBouncer sends RELOAD on the admin console over the unix socket.
// PgBouncer answers success even when the new TLS files could not be
// loaded; only the served certificate (or its log) tells.
func (s *Stack) reloadPgBouncer(ctx context.Context) error {
	conn, err := s.connect(ctx, s.PgBouncerSocketDSN(UserStats, "pgbouncer"))
	if err != nil {
		return s.bouncerErr("connect to PgBouncer admin console", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if _, err := conn.Exec(ctx, "RELOAD"); err != nil {
		return s.bouncerErr("PgBouncer RELOAD", err)
	}
	return nil
}

// PgBouncerVersion is PgBouncer's SHOW VERSION, e.g. "PgBouncer 1.18.0".
func (s *Stack) PgBouncerVersion(ctx context.Context) (string, error) {
	conn, err := s.connect(ctx, s.PgBouncerSocketDSN(UserStats, "pgbouncer"))
	if err != nil {
		return "", s.bouncerErr("connect to PgBouncer admin console", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var v string
	if err := conn.QueryRow(ctx, "SHOW VERSION").Scan(&v); err != nil {
		return "", fmt.Errorf("testenv: PgBouncer SHOW VERSION: %w", err)
	}
	return v, nil
}

// Reload makes PostgreSQL (SELECT pg_reload_conf()) and PgBouncer (admin
// RELOAD) re-read their configuration and certificate files. It returns once
// new sessions get the reloaded configuration.
func (s *Stack) Reload(ctx context.Context) error {
	if err := s.reloadPostgres(ctx); err != nil {
		return err
	}
	if !s.opts.WithPgBouncer {
		return nil
	}
	return s.reloadPgBouncer(ctx)
}
