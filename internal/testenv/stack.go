package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// Names of the database and the roles every stack creates.
const (
	Database     = "magflow"  // application database
	UserPostgres = "postgres" // superuser; trusted over the unix socket, password over TCP
	UserApp      = "app"      // application role, owner of Database
	UserMonitor  = "monitor"  // monitoring role, member of pg_monitor
	UserStats    = "stats"    // PgBouncer admin_users and stats_users entry
)

// DefaultPgBinDir is where Debian installs the PostgreSQL 15 server binaries.
const DefaultPgBinDir = "/usr/lib/postgresql/15/bin"

// Environment variables that override binary locations.
const (
	EnvPgBinDir  = "PGTLS_PG_BINDIR" // folder holding initdb, pg_ctl and postgres
	EnvPgBouncer = "PGTLS_PGBOUNCER" // path of the pgbouncer binary
)

const (
	defaultOSUser  = "postgres"       // account the servers run as under root
	startTimeout   = 60 * time.Second // bound for one server to become ready
	connectTimeout = 5 * time.Second  // bound for one probe connection
	pollInterval   = 50 * time.Millisecond
)

// Error is the type of this package's sentinel errors.
type Error string

func (e Error) Error() string { return string(e) }

// ErrUnavailable reports that the binaries or the OS account needed to run the
// servers are missing on this machine. Test helpers skip on it outside CI.
const ErrUnavailable Error = "testenv: PostgreSQL/PgBouncer not available"

// CertFiles are the PEM files the servers read (caller writes them; keys must
// be 0600). The servers read these paths as given, so replacing a file's
// content in place and calling Stack.Reload rotates the certificate.
type CertFiles struct {
	CA, PostgresCert, PostgresKey, PgBouncerCert, PgBouncerKey string
}

// Options configure Start.
type Options struct {
	Dir            string       // base dir, must not hold a stack yet; created (and removed by Close) if empty
	Certs          CertFiles    // required; PgBouncer files only WithPgBouncer
	PgBinDir       string       // default: $PGTLS_PG_BINDIR or DefaultPgBinDir
	PgBouncerBin   string       // default: $PGTLS_PGBOUNCER, pgbouncer on PATH or /usr/sbin/pgbouncer
	WithPgBouncer  bool         // start PgBouncer in front of PostgreSQL
	AllowPlaintext bool         // pg_hba gets a `hostnossl ... scram-sha-256` allow line (else a hostnossl reject line)
	OSUser         string       // account the servers run as when the caller is root; default "postgres"
	Log            *slog.Logger // optional

	// PgBouncerClientTLSMode is client_tls_sslmode; default "require".
	PgBouncerClientTLSMode string
	// PgBouncerServerTLSMode is server_tls_sslmode; default "verify-full".
	PgBouncerServerTLSMode string

	// PostgresConf lines are appended to postgresql.conf (a later line
	// wins), e.g. "ssl_min_protocol_version = 'TLSv1'".
	PostgresConf []string
	// HBA lines are written into pg_hba.conf from line 3 on: after a
	// comment (line 1) and the `local all all trust` line the stack needs
	// (line 2), before its hostssl and hostnossl lines.
	HBA []string
	// PgBouncerConf lines are appended to pgbouncer.ini's [pgbouncer]
	// section (a later line wins), e.g. "client_tls_protocols = all".
	PgBouncerConf []string
	// AuditGrants lets the monitor role read pg_hba_file_rules in the
	// magflow database (SELECT on the view, EXECUTE on its function), as
	// the audit needs.
	AuditGrants bool
}

// Stack is a running PostgreSQL, optionally fronted by PgBouncer, both
// serving TLS on loopback. Its methods are safe for concurrent use.
type Stack struct {
	opts      Options
	log       *slog.Logger
	user      osUser
	pgBin     string
	bouncer   string // pgbouncer binary
	dir       string
	ownDir    bool
	sockBase  string // holds the socket dirs; separate when dir is too long
	ownSock   bool
	passwords map[string]string

	pgPort, bouncerPort int
	pgHold, bouncerHold *Port // keep other test processes off the ports

	mu         sync.Mutex
	pgPID      int
	bouncerPID int
	closed     bool
}

// Start creates a fresh cluster under opts.Dir, starts PostgreSQL (and
// PgBouncer when asked) with TLS on free loopback ports, creates the roles and
// the magflow database, and returns once both accept TLS connections. On
// failure everything started so far is stopped again. ctx bounds the start.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	begin := time.Now()
	s, err := newStack(opts)
	if err != nil {
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		if cerr := s.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("clean up after failed start: %w", cerr))
		}
		return nil, err
	}
	s.log.Info("test stack ready", "postgres", s.PostgresAddr(), "pgbouncer", s.PgBouncerAddr(),
		"dir", s.dir, "elapsed", time.Since(begin).Round(time.Millisecond))
	return s, nil
}

// newStack resolves options, binaries, the OS account and passwords.
func newStack(opts Options) (*Stack, error) {
	c := opts.Certs
	if c.CA == "" || c.PostgresCert == "" || c.PostgresKey == "" {
		return nil, errors.New("testenv: Options.Certs needs CA, PostgresCert and PostgresKey")
	}
	if opts.WithPgBouncer && (c.PgBouncerCert == "" || c.PgBouncerKey == "") {
		return nil, errors.New("testenv: WithPgBouncer needs Certs.PgBouncerCert and Certs.PgBouncerKey")
	}
	for _, p := range []*string{&c.CA, &c.PostgresCert, &c.PostgresKey, &c.PgBouncerCert, &c.PgBouncerKey} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, fmt.Errorf("testenv: absolute path of %s: %w", *p, err)
		}
		*p = abs
	}
	opts.Certs = c
	if opts.OSUser == "" {
		opts.OSUser = defaultOSUser
	}
	s := &Stack{opts: opts, log: opts.Log, passwords: map[string]string{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.pgBin, err = findPgBinDir(opts.PgBinDir); err != nil {
		return nil, err
	}
	if opts.WithPgBouncer {
		if s.bouncer, err = findPgBouncer(opts.PgBouncerBin); err != nil {
			return nil, err
		}
	}
	if s.user, err = resolveOSUser(opts.OSUser); err != nil {
		return nil, err
	}
	for _, u := range []string{UserPostgres, UserApp, UserMonitor, UserStats} {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("testenv: password for %s: %w", u, err)
		}
		s.passwords[u] = u + "-" + hex.EncodeToString(b)
	}
	return s, nil
}

// findPgBinDir returns the folder holding initdb, pg_ctl and postgres.
func findPgBinDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv(EnvPgBinDir)
	}
	if dir == "" {
		dir = DefaultPgBinDir
	}
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("%w: PostgreSQL binary %s: %w", ErrUnavailable, name, err)
		}
	}
	return filepath.Abs(dir)
}

// findPgBouncer returns the path of the pgbouncer binary.
func findPgBouncer(path string) (string, error) {
	if path == "" {
		path = os.Getenv(EnvPgBouncer)
	}
	if path == "" {
		var err error
		if path, err = exec.LookPath("pgbouncer"); err != nil {
			path = "/usr/sbin/pgbouncer"
		}
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%w: pgbouncer binary: %w", ErrUnavailable, err)
	}
	return path, nil
}

// start lays out the folders and brings the servers up.
func (s *Stack) start(ctx context.Context) error {
	if err := s.layout(); err != nil {
		return err
	}
	if err := s.PrepareCertFiles(); err != nil {
		return err
	}
	if err := s.initPostgres(ctx); err != nil {
		return err
	}
	if err := startOnFreePort(&s.pgPort, &s.pgHold, func() error { return s.StartPostgres(ctx) }); err != nil {
		return err
	}
	if err := s.setupRoles(ctx); err != nil {
		return err
	}
	if s.opts.AuditGrants {
		if err := s.Exec(ctx, AuditGrants); err != nil {
			return s.pgErr("audit grants", err)
		}
	}
	if !s.opts.WithPgBouncer {
		return nil
	}
	return startOnFreePort(&s.bouncerPort, &s.bouncerHold, func() error {
		if err := s.writePgBouncerConfig(); err != nil {
			return err
		}
		return s.StartPgBouncer(ctx)
	})
}

// startOnFreePort reserves a port into *port and *hold and runs start,
// again on a new port while start fails because the port was taken.
func startOnFreePort(port *int, hold **Port, start func() error) error {
	const attempts = 5
	var err error
	for range attempts {
		(*hold).Release()
		if *hold, err = ReservePort(); err != nil {
			return err
		}
		*port = (*hold).Number
		if err = start(); err == nil || !AddrInUse(err.Error()) {
			return err
		}
	}
	return fmt.Errorf("testenv: %d ports in a row were taken: %w", attempts, err)
}

// layout creates the base and socket folders.
func (s *Stack) layout() error {
	s.dir = s.opts.Dir
	if s.dir == "" {
		d, err := os.MkdirTemp("", "pgtls-stack-")
		if err != nil {
			return fmt.Errorf("testenv: create stack dir: %w", err)
		}
		s.dir, s.ownDir = d, true
	} else if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("testenv: create stack dir: %w", err)
	}
	abs, err := filepath.Abs(s.dir)
	if err != nil {
		return fmt.Errorf("testenv: absolute path of %s: %w", s.dir, err)
	}
	s.dir = abs
	if err := makeTraversable(s.dir); err != nil {
		return fmt.Errorf("testenv: %w", err)
	}
	// Unix socket paths are limited to 107 bytes.
	s.sockBase = s.dir
	if len(s.dir)+len("/pgbouncer-sock/.s.PGSQL.65535") > 100 {
		d, err := os.MkdirTemp("", "pgtls-sock-")
		if err != nil {
			return fmt.Errorf("testenv: create socket dir: %w", err)
		}
		s.sockBase, s.ownSock = d, true
		if err := makeTraversable(d); err != nil {
			return fmt.Errorf("testenv: %w", err)
		}
	}
	return nil
}

// PrepareCertFiles gives the certificate and key files to the server account
// and makes keys 0600 and their folders reachable. Start calls it; call it
// again before Reload when files were replaced by new files (rename) rather
// than rewritten in place.
func (s *Stack) PrepareCertFiles() error {
	c := s.opts.Certs
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{{c.CA, 0o644}, {c.PostgresCert, 0o644}, {c.PostgresKey, 0o600},
		{c.PgBouncerCert, 0o644}, {c.PgBouncerKey, 0o600}} {
		if f.path == "" {
			continue
		}
		if err := makeTraversable(filepath.Dir(f.path)); err != nil {
			return fmt.Errorf("testenv: certificate folder: %w", err)
		}
		if err := os.Chmod(f.path, f.mode); err != nil {
			return fmt.Errorf("testenv: certificate file: %w", err)
		}
		if err := s.user.chown(f.path); err != nil {
			return fmt.Errorf("testenv: certificate file: %w", err)
		}
	}
	return nil
}

// Close stops PgBouncer and PostgreSQL by pid (PgBouncer: SIGTERM, PostgreSQL:
// SIGINT for a fast shutdown, since SIGTERM waits for pooled sessions; then
// harder signals, then SIGKILL). It removes the stack dir only when Start
// created it. Close is idempotent.
func (s *Stack) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var errs []error
	if s.dir != "" { // else Start failed before creating anything
		if err := s.StopPgBouncer(context.Background()); err != nil {
			errs = append(errs, err)
		}
		if err := s.StopPostgres(context.Background()); err != nil {
			errs = append(errs, err)
		}
	}
	s.pgHold.Release()
	s.bouncerHold.Release()
	if s.ownSock {
		if err := os.RemoveAll(s.sockBase); err != nil {
			errs = append(errs, fmt.Errorf("testenv: remove socket dir: %w", err))
		}
	}
	if s.ownDir && len(errs) == 0 {
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("testenv: remove stack dir: %w", err))
		}
	}
	s.log.Info("test stack closed", "dir", s.dir, "errors", len(errs))
	return errors.Join(errs...)
}

// Dir is the stack's base folder.
func (s *Stack) Dir() string { return s.dir }

// Certs returns the certificate files the servers read (absolute paths).
func (s *Stack) Certs() CertFiles { return s.opts.Certs }

// PgBinDir is the folder of the PostgreSQL binaries in use.
func (s *Stack) PgBinDir() string { return s.pgBin }

// PostgresPort is PostgreSQL's TCP port on 127.0.0.1.
func (s *Stack) PostgresPort() int { return s.pgPort }

// PgBouncerPort is PgBouncer's TCP port on 127.0.0.1, or 0 without PgBouncer.
func (s *Stack) PgBouncerPort() int { return s.bouncerPort }

// PostgresAddr is PostgreSQL's "127.0.0.1:PORT".
func (s *Stack) PostgresAddr() string { return hostPort(s.pgPort) }

// PgBouncerAddr is PgBouncer's "127.0.0.1:PORT", or "" without PgBouncer.
func (s *Stack) PgBouncerAddr() string {
	if s.bouncerPort == 0 {
		return ""
	}
	return hostPort(s.bouncerPort)
}

// SocketDir is the folder of PostgreSQL's unix socket.
func (s *Stack) SocketDir() string { return filepath.Join(s.sockBase, "postgres-sock") }

// PgBouncerSocketDir is the folder of PgBouncer's unix socket.
func (s *Stack) PgBouncerSocketDir() string { return filepath.Join(s.sockBase, "pgbouncer-sock") }
