package sessions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
)

// DefaultTimeout bounds one collection when Options.Timeout is zero; a
// shorter deadline of the caller's context wins.
const DefaultTimeout = 10 * time.Second

// maxConns is the size of each source's pool.
const maxConns = 2

// AppNamePrefix starts the application_name of the exporter's own
// connections.
const AppNamePrefix = "pgtls_exporter-"

// Error is the type of this package's sentinel errors.
type Error string

func (e Error) Error() string { return string(e) }

// ErrClosed is returned by a source used after Close.
const ErrClosed Error = "source is closed"

// Options configure a source.
type Options struct {
	// Name labels the server in metrics, findings and errors.
	Name string
	// DSN is the libpq connection string, with file paths already
	// resolved (config.Config.ResolveDSN).
	DSN config.DSN
	// PasswordFile, when set, holds the password; it is read whenever a
	// connection is opened and a trailing newline is ignored.
	PasswordFile string
	// ByDatabaseUser adds database and user to the groups.
	ByDatabaseUser bool
	// ExpectServerTLS (PgBouncer) makes a server connection without TLS
	// critical rather than a warning.
	ExpectServerTLS bool
	// Timeout bounds one collection (default DefaultTimeout).
	Timeout time.Duration
}

// conn is the pool of one source, created on first use.
type conn struct {
	kind    string // "postgres" or "pgbouncer", for error texts
	opts    Options
	mode    pgx.QueryExecMode
	appName string

	mu       sync.Mutex
	pool     *pgxpool.Pool
	closed   bool
	secrets  []string // passwords seen, masked in error texts
	draining sync.WaitGroup
}

func newConn(kind string, opts Options, mode pgx.QueryExecMode) *conn {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return &conn{kind: kind, opts: opts, mode: mode, appName: AppNamePrefix + hex.EncodeToString(b),
		secrets: config.DSNSecrets(opts.DSN)}
}

// errorf builds an error naming the source, with every known password
// masked. When a password had to be masked the cause is not kept
// (unwrapping it would reveal the password).
func (c *conn) errorf(format string, args ...any) error {
	err := fmt.Errorf("%s %q: "+format, append([]any{c.kind, c.opts.Name}, args...)...)
	c.mu.Lock()
	secrets := append([]string(nil), c.secrets...)
	c.mu.Unlock()
	if masked := config.MaskSecrets(err.Error(), secrets...); masked != err.Error() {
		return errors.New(masked)
	}
	return err
}

func (c *conn) addSecret(s string) {
	if s == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, known := range c.secrets {
		if known == s {
			return
		}
	}
	c.secrets = append(c.secrets, s)
}

// getPool returns the pool, creating it on first use.
func (c *conn) getPool() (*pgxpool.Pool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.pool != nil {
		return c.pool, nil
	}
	pc, err := pgxpool.ParseConfig(c.opts.DSN.Value())
	if err != nil {
		return nil, fmt.Errorf("parse dsn: %s", config.ParseErrorText(err, c.secrets...))
	}
	if pc.ConnConfig.Password != "" { // from the DSN, PGPASSWORD or .pgpass
		c.secrets = append(c.secrets, pc.ConnConfig.Password)
	}
	pc.MaxConns, pc.MinConns = maxConns, 0
	pc.MaxConnIdleTime = 5 * time.Minute
	// Liveness is judged by the query itself (a dead connection is
	// retried once); PgBouncer's console does not accept pgx's ping.
	pc.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	cc := pc.ConnConfig
	cc.DefaultQueryExecMode = c.mode
	cc.StatementCacheCapacity, cc.DescriptionCacheCapacity = 0, 0
	cc.RuntimeParams["application_name"] = c.appName
	if c.opts.PasswordFile != "" {
		pc.BeforeConnect = func(_ context.Context, cfg *pgx.ConnConfig) error {
			pw, err := certs.ReadPasswordFile(c.opts.PasswordFile)
			if err != nil {
				return err
			}
			c.addSecret(pw)
			cfg.Password = pw
			return nil
		}
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	c.pool = pool
	return pool, nil
}

// dropPool discards a pool that failed to connect, so that the next
// collection parses the DSN again (and rereads the CA file it names).
func (c *conn) dropPool(p *pgxpool.Pool) {
	c.mu.Lock()
	if c.pool == p {
		c.pool = nil
	}
	closed := c.closed
	if !closed {
		c.draining.Add(1) // under mu: Close waits only after it set closed
	}
	c.mu.Unlock()
	if closed {
		p.Close()
		return
	}
	go func() {
		defer c.draining.Done()
		p.Close()
	}()
}

// run calls fn on a pooled connection within the source's timeout. A
// connection that turns out dead is replaced and fn retried once.
func (c *conn) run(ctx context.Context, fn func(context.Context, *pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	pool, err := c.getPool()
	if err != nil {
		return c.errorf("%w", err)
	}
	for attempt := 0; ; attempt++ {
		pc, err := pool.Acquire(ctx)
		if err != nil {
			c.dropPool(pool)
			return c.errorf("connect: %w", err)
		}
		err = fn(ctx, pc.Conn())
		dead := pc.Conn().IsClosed()
		pc.Release()
		if err == nil {
			return nil
		}
		if !dead || attempt > 0 || ctx.Err() != nil {
			return c.errorf("%w", err)
		}
	}
}

// Close closes the pool and waits for its connections to end.
func (c *conn) Close() {
	c.mu.Lock()
	c.closed = true
	pool := c.pool
	c.pool = nil
	c.mu.Unlock()
	if pool != nil {
		pool.Close()
	}
	c.draining.Wait()
}
