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

	"github.com/jackc/pgx/v5"
)

func (s *Stack) dataDir() string { return filepath.Join(s.dir, "pgdata") }

// HBAFile is the path of PostgreSQL's pg_hba.conf.
func (s *Stack) HBAFile() string { return filepath.Join(s.dataDir(), "pg_hba.conf") }

// PostgresLogFile is the path of PostgreSQL's log file (pg_ctl -l).
func (s *Stack) PostgresLogFile() string { return filepath.Join(s.dir, "postgres.log") }

// PostgresLog returns the contents of PostgreSQL's log file.
func (s *Stack) PostgresLog() (string, error) {
	data, err := os.ReadFile(s.PostgresLogFile())
	if err != nil {
		return "", fmt.Errorf("testenv: read PostgreSQL log: %w", err)
	}
	return string(data), nil
}

// pgErr wraps err with what failed and the tail of PostgreSQL's log.
func (s *Stack) pgErr(what string, err error) error {
	return fmt.Errorf("testenv: %s: %w\n--- tail of %s ---\n%s",
		what, err, s.PostgresLogFile(), fileTail(s.PostgresLogFile(), 25))
}

// initPostgres runs initdb and writes postgresql.conf and pg_hba.conf.
func (s *Stack) initPostgres(ctx context.Context) error {
	if err := s.user.mkdir(s.SocketDir(), 0o755); err != nil {
		return fmt.Errorf("testenv: PostgreSQL socket dir: %w", err)
	}
	if err := s.user.mkdir(s.dataDir(), 0o700); err != nil {
		return fmt.Errorf("testenv: PostgreSQL data dir: %w", err)
	}
	if err := s.user.writeFile(s.PostgresLogFile(), nil, 0o644); err != nil {
		return fmt.Errorf("testenv: PostgreSQL log file: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	begin := time.Now()
	if _, err := s.user.run(ctx, s.dir, filepath.Join(s.pgBin, "initdb"),
		"-D", s.dataDir(), "-U", UserPostgres, "--auth-local=trust", "--auth-host=scram-sha-256",
		"--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		return fmt.Errorf("testenv: initdb: %w", err)
	}
	s.log.Debug("initdb done", "elapsed", time.Since(begin).Round(time.Millisecond))
	c := s.opts.Certs
	conf := strings.Join([]string{
		"",
		"# pgtls_exporter test stack",
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = " + confQuote(s.SocketDir()),
		"max_connections = 50",
		"shared_buffers = 16MB",
		"fsync = off",
		"synchronous_commit = off",
		"full_page_writes = off",
		"ssl = on",
		"ssl_cert_file = " + confQuote(c.PostgresCert),
		"ssl_key_file = " + confQuote(c.PostgresKey),
		"ssl_ca_file = " + confQuote(c.CA),
		"ssl_min_protocol_version = 'TLSv1.2'",
		"ssl_ciphers = 'HIGH:!aNULL'",
		"password_encryption = 'scram-sha-256'",
		"logging_collector = off",
		"log_connections = on",
		"log_line_prefix = '%m [%p] %q%u@%d '",
		"log_timezone = 'UTC'",
		strings.Join(s.opts.PostgresConf, "\n"),
		"",
	}, "\n")
	f, err := os.OpenFile(filepath.Join(s.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("testenv: open postgresql.conf: %w", err)
	}
	if _, err := f.WriteString(conf); err != nil {
		_ = f.Close()
		return fmt.Errorf("testenv: write postgresql.conf: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("testenv: write postgresql.conf: %w", err)
	}
	plain := "reject"
	if s.opts.AllowPlaintext {
		plain = "scram-sha-256"
	}
	hba := "# pgtls_exporter test stack\n" +
		"local     all all              trust\n"
	for _, l := range s.opts.HBA {
		hba += l + "\n"
	}
	hba += "hostssl   all all 127.0.0.1/32 scram-sha-256\n" +
		"hostnossl all all 127.0.0.1/32 " + plain + "\n"
	if err := s.user.writeFile(s.HBAFile(), []byte(hba), 0o600); err != nil {
		return fmt.Errorf("testenv: pg_hba.conf: %w", err)
	}
	return nil
}

// confQuote quotes a value for postgresql.conf.
func confQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

// StartPostgres starts PostgreSQL on its port (again, after StopPostgres) and
// waits until it accepts connections on its unix socket.
func (s *Stack) StartPostgres(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("testenv: start PostgreSQL: stack is closed")
	}
	if alive(s.pgPID) {
		return fmt.Errorf("testenv: start PostgreSQL: already running as pid %d", s.pgPID)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout+10*time.Second)
	defer cancel()
	begin := time.Now()
	if _, err := s.user.run(ctx, s.dir, filepath.Join(s.pgBin, "pg_ctl"), "start", "-D", s.dataDir(),
		"-o", "-p "+strconv.Itoa(s.pgPort), "-l", s.PostgresLogFile(), "-w", "-t", strconv.Itoa(int(startTimeout/time.Second)), "-s"); err != nil {
		return s.pgErr("start PostgreSQL", err)
	}
	pid, err := readPID(filepath.Join(s.dataDir(), "postmaster.pid"))
	if err != nil {
		return s.pgErr("start PostgreSQL", err)
	}
	s.pgPID = pid
	if err := s.waitPostgres(ctx); err != nil {
		return s.pgErr("wait for PostgreSQL", err)
	}
	s.log.Debug("PostgreSQL started", "pid", pid, "port", s.pgPort, "elapsed", time.Since(begin).Round(time.Millisecond))
	return nil
}

// waitPostgres polls the unix socket until a session succeeds.
func (s *Stack) waitPostgres(ctx context.Context) error {
	for {
		conn, err := s.connect(ctx, s.SocketDSN(UserPostgres, "postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		if !alive(s.pgPID) {
			return fmt.Errorf("PostgreSQL (pid %d) exited: %w", s.pgPID, err)
		}
		if serr := sleepCtx(ctx, pollInterval); serr != nil {
			return fmt.Errorf("%w (last error: %w)", serr, err)
		}
	}
}

// StopPostgres stops PostgreSQL by pid: SIGINT (fast shutdown), then SIGQUIT
// (immediate), then SIGKILL, each with a bounded wait. It is a no-op when
// PostgreSQL is not running.
func (s *Stack) StopPostgres(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		return nil
	}
	pid := s.pgPID
	if pid == 0 {
		// A start that failed half-way may have left a postmaster behind.
		pid, _ = readPID(filepath.Join(s.dataDir(), "postmaster.pid"))
	}
	if pid == 0 {
		return nil
	}
	err := stopPID(ctx, "PostgreSQL", pid,
		stopSignal{syscall.SIGINT, 15 * time.Second},
		stopSignal{syscall.SIGQUIT, 5 * time.Second},
		stopSignal{syscall.SIGKILL, 5 * time.Second})
	if err != nil {
		return s.pgErr("stop PostgreSQL", err)
	}
	s.pgPID = 0
	return nil
}

// PostgresPID is the postmaster's pid, or 0 when stopped.
func (s *Stack) PostgresPID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pgPID
}

// setupRoles creates the roles and the magflow database.
func (s *Stack) setupRoles(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := s.connect(ctx, s.SocketDSN(UserPostgres, "postgres"))
	if err != nil {
		return s.pgErr("connect for setup", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	pw := func(u string) string { return "'" + s.passwords[u] + "'" } // hex, no quoting needed
	for _, stmt := range []string{
		"ALTER ROLE " + UserPostgres + " PASSWORD " + pw(UserPostgres),
		"CREATE ROLE " + UserApp + " LOGIN PASSWORD " + pw(UserApp),
		"CREATE ROLE " + UserMonitor + " LOGIN PASSWORD " + pw(UserMonitor),
		"GRANT pg_monitor TO " + UserMonitor,
		"CREATE ROLE " + UserStats + " LOGIN PASSWORD " + pw(UserStats),
		"CREATE DATABASE " + Database + " OWNER " + UserApp,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return s.pgErr(fmt.Sprintf("setup %q", strings.Fields(stmt)[0]+" "+strings.Fields(stmt)[1]), err)
		}
	}
	return nil
}

// AuditGrants is what lets the monitor role read pg_hba_file_rules. Like
// every catalog object, the view and its function belong to one database:
// run it in the database the role connects to.
const AuditGrants = "GRANT SELECT ON pg_hba_file_rules TO " + UserMonitor +
	"; GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO " + UserMonitor

// connect opens a pgx connection using the simple protocol, bounded by
// connectTimeout.
func (s *Stack) connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse DSN: %w", err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	return pgx.ConnectConfig(ctx, cfg)
}

// Exec runs one SQL statement as the superuser over the unix socket in the
// magflow database (simple protocol, no arguments).
func (s *Stack) Exec(ctx context.Context, sql string) error {
	conn, err := s.connect(ctx, s.SocketDSN(UserPostgres, Database))
	if err != nil {
		return fmt.Errorf("testenv: connect as superuser: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("testenv: exec %q: %w", sql, err)
	}
	return nil
}

// show returns one setting via SHOW over the unix socket.
func (s *Stack) show(ctx context.Context, name string) (string, error) {
	return s.QueryString(ctx, "SHOW "+name)
}

// QueryString runs a query that returns one text value, as the superuser
// over the unix socket in the magflow database.
func (s *Stack) QueryString(ctx context.Context, sql string) (string, error) {
	conn, err := s.connect(ctx, s.SocketDSN(UserPostgres, Database))
	if err != nil {
		return "", fmt.Errorf("testenv: connect as superuser: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var v string
	if err := conn.QueryRow(ctx, sql).Scan(&v); err != nil {
		return "", fmt.Errorf("testenv: %s: %w", sql, err)
	}
	return v, nil
}

// PostgresVersion is PostgreSQL's server_version, e.g. "15.14 (Debian 15.14-0+deb12u1)".
func (s *Stack) PostgresVersion(ctx context.Context) (string, error) {
	return s.show(ctx, "server_version")
}

// ServerVersionNum is PostgreSQL's server_version_num, e.g. 150014.
func (s *Stack) ServerVersionNum(ctx context.Context) (int, error) {
	v, err := s.show(ctx, "server_version_num")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("testenv: parse server_version_num %q: %w", v, err)
	}
	return n, nil
}

// reloadPostgres asks PostgreSQL to re-read its configuration and
// certificates, and waits until a new session sees the new load time.
func (s *Stack) reloadPostgres(ctx context.Context) error {
	conn, err := s.connect(ctx, s.SocketDSN(UserPostgres, "postgres"))
	if err != nil {
		return s.pgErr("connect for reload", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	qctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var before time.Time
	if err := conn.QueryRow(qctx, "SELECT pg_conf_load_time()").Scan(&before); err != nil {
		return s.pgErr("read pg_conf_load_time", err)
	}
	var ok bool
	if err := conn.QueryRow(qctx, "SELECT pg_reload_conf()").Scan(&ok); err != nil || !ok {
		return s.pgErr("pg_reload_conf", errors.Join(err, errors.New("pg_reload_conf returned false")))
	}
	// The postmaster reloads asynchronously; new backends inherit its load time.
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	for {
		fresh, err := s.connect(wctx, s.SocketDSN(UserPostgres, "postgres"))
		if err == nil {
			var after time.Time
			err = fresh.QueryRow(wctx, "SELECT pg_conf_load_time()").Scan(&after)
			_ = fresh.Close(context.Background())
			if err == nil && after.After(before) {
				return nil
			}
		}
		if serr := sleepCtx(wctx, 20*time.Millisecond); serr != nil {
			return s.pgErr("wait for PostgreSQL reload", errors.Join(serr, err))
		}
	}
}
