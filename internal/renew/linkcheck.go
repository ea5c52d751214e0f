package renew

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/magflow/pgtls_exporter/internal/config"
)

// linkAttemptTimeout bounds one attempt of the link check (RECONNECT and a
// session). PgBouncer that cannot verify PostgreSQL keeps the client
// waiting until its query_wait_timeout, so a failed link shows as a wait.
const linkAttemptTimeout = 10 * time.Second

// linkQuery tells whether the session's server connection was made after
// PostgreSQL last loaded its configuration (a backend started before it
// re-read the files itself, later than its start) and whether it is TLS.
const linkQuery = `SELECT a.backend_start > pg_conf_load_time(), coalesce(s.ssl, false)
FROM pg_stat_activity a LEFT JOIN pg_stat_ssl s ON s.pid = a.pid
WHERE a.pid = pg_backend_pid()`

// linkCheck proves that PgBouncer reaches PostgreSQL with the TLS files
// loaded now: RECONNECT on PgBouncer's admin console closes its server
// connections as they are released, then a session through PgBouncer
// must get a server connection that PostgreSQL accepted after its reload.
// With server_tls_sslmode = verify-full PgBouncer verified PostgreSQL's
// certificate against its server_tls_ca_file to make it.
type linkCheck struct {
	dsn, passwordFile           string // through PgBouncer, files resolved
	adminDSN, adminPasswordFile string
	// shown are the DSNs as configured, for plans and errors.
	shownDSN, shownAdmin string
}

// resolveLinkCheck returns the configured link check, or nil when the
// configuration has no PgBouncer service (nothing links to PostgreSQL).
// With a PgBouncer service it is required, and so is an admin console:
// link_check.admin_dsn, or the service's reload.sql.
func resolveLinkCheck(cfg *config.Config) (*linkCheck, error) {
	var bouncer *config.Service
	for i, s := range cfg.Renew.Services {
		if s.Kind == config.KindPgBouncer && bouncer == nil {
			bouncer = &cfg.Renew.Services[i]
		}
	}
	lc := cfg.Renew.CARotation.LinkCheck
	switch {
	case lc == nil && bouncer == nil:
		return nil, nil
	case lc == nil:
		return nil, fmt.Errorf("renew.ca_rotation.link_check is not configured: a CA rotation must prove that PgBouncer (service %s) still reaches PostgreSQL; give it a DSN through PgBouncer with a password_file", bouncer.Name)
	}
	dsn, err := cfg.ResolveDSN(config.DSN(lc.DSN))
	if err != nil {
		return nil, fmt.Errorf("renew.ca_rotation.link_check.dsn: %w", err)
	}
	out := &linkCheck{dsn: dsn, passwordFile: cfg.Resolve(lc.PasswordFile), shownDSN: lc.DSN}
	switch {
	case lc.AdminDSN != "":
		if out.adminDSN, err = cfg.ResolveDSN(config.DSN(lc.AdminDSN)); err != nil {
			return nil, fmt.Errorf("renew.ca_rotation.link_check.admin_dsn: %w", err)
		}
		out.adminPasswordFile, out.shownAdmin = cfg.Resolve(lc.AdminPasswordFile), lc.AdminDSN
	case bouncer != nil && bouncer.Reload.SQL != nil:
		sql := bouncer.Reload.SQL
		out.adminDSN, out.shownAdmin = sql.DSN, sql.DSN
		if sql.PasswordFile != "" {
			out.adminPasswordFile = cfg.Resolve(sql.PasswordFile)
		}
	default:
		return nil, errors.New("renew.ca_rotation.link_check.admin_dsn is not configured and no pgbouncer service reloads over SQL: the link check needs PgBouncer's admin console to RECONNECT")
	}
	return out, nil
}

// describe says what the check does, for plans.
func (lc *linkCheck) describe() string {
	return fmt.Sprintf("RECONNECT on %q, then a session through PgBouncer (%q) must get a new TLS server connection to PostgreSQL",
		lc.shownAdmin, lc.shownDSN)
}

// run repeats the check until it passes or timeout has passed; every
// attempt runs to its end (bounded by linkAttemptTimeout), so a failure
// reports what a complete attempt found.
func (lc *linkCheck) run(ctx context.Context, timeout time.Duration, log *slog.Logger) error {
	start := time.Now()
	for {
		tls, err := lc.once(ctx)
		if err == nil {
			if !tls {
				log.Warn("PgBouncer reaches PostgreSQL without TLS (server_tls_sslmode): the CA rotation does not concern that link")
			}
			log.Info("PgBouncer reaches PostgreSQL over a new connection", "tls", tls, "after", time.Since(start).Round(time.Millisecond))
			return nil
		}
		if ctx.Err() != nil || !time.Now().Add(pollInterval).Before(start.Add(timeout)) {
			return fmt.Errorf("PgBouncer does not reach PostgreSQL over a new connection (session %q, after %s): %w",
				lc.shownDSN, time.Since(start).Round(time.Millisecond), err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(pollInterval):
		}
	}
}

// once makes one attempt; it reports whether the server connection is TLS.
func (lc *linkCheck) once(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, linkAttemptTimeout)
	defer cancel()
	admin, err := connectSimple(ctx, lc.adminDSN, lc.adminPasswordFile)
	if err != nil {
		return false, fmt.Errorf("admin console: %w", err)
	}
	_, err = admin.Exec(ctx, "RECONNECT")
	_ = admin.Close(context.Background())
	if err != nil {
		return false, fmt.Errorf("admin console: RECONNECT: %w", err)
	}
	conn, err := connectSimple(ctx, lc.dsn, lc.passwordFile)
	if err != nil {
		return false, err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var fresh, tls bool
	if err := conn.QueryRow(ctx, linkQuery).Scan(&fresh, &tls); err != nil {
		return false, fmt.Errorf("query through PgBouncer: %w", err)
	}
	if !fresh {
		return tls, errors.New("the session got a server connection older than PostgreSQL's last reload")
	}
	return tls, nil
}

// checkLink runs a CA rotation's link check after a phase's reloads (and
// after its rollback's): PgBouncer must still reach PostgreSQL.
func (r *runner) checkLink(ctx context.Context, j *Journal) error {
	if j.Rotation == nil {
		return nil
	}
	lc, err := resolveLinkCheck(r.cfg)
	if err != nil || lc == nil {
		return err
	}
	if err := lc.run(ctx, r.cfg.Renew.VerifyTimeoutDuration(), r.log); err != nil {
		return err
	}
	r.checkpoint("link-checked")
	return nil
}
