package sessions

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Settings are a PostgreSQL server's TLS settings and version.
type Settings struct {
	// SSL is the ssl setting ("on" or "off").
	SSL string
	// MinProtocolVersion is ssl_min_protocol_version, e.g. "TLSv1.2";
	// empty before PostgreSQL 12 and for roles without pg_read_all_settings
	// (which pg_monitor includes).
	MinProtocolVersion string
	// ServerVersion is server_version, e.g. "15.14 (Debian 15.14-0+deb12u1)".
	ServerVersion string
}

// PostgresGroup counts client backends that share TLS use and, with
// ByDatabaseUser, database and role.
type PostgresGroup struct {
	Transport Transport
	// Version and Cipher are empty without TLS.
	Version, Cipher string
	// ClientCert is whether the client presented a certificate.
	ClientCert bool
	// Database and User are set with Options.ByDatabaseUser.
	Database, User string
	Count          int
}

// PostgresReport is one collection from a PostgreSQL server.
type PostgresReport struct {
	Server string
	// ByDatabaseUser tells whether Groups have Database and User.
	ByDatabaseUser bool
	Settings       Settings
	// Groups are sorted by transport, version, cipher, client certificate,
	// database and user.
	Groups []PostgresGroup
}

// Postgres counts the client backends of one PostgreSQL server.
type Postgres struct {
	conn *conn
}

// NewPostgres returns a PostgreSQL source; it connects on first use.
func NewPostgres(opts Options) *Postgres {
	// The extended protocol with unnamed statements: one round trip, no
	// statement cache, fine through PgBouncer too.
	return &Postgres{conn: newConn("postgres", opts, pgx.QueryExecModeExec)}
}

// Name is the server's configured name.
func (p *Postgres) Name() string { return p.conn.opts.Name }

// Close closes the source's connections.
func (p *Postgres) Close() { p.conn.Close() }

// Run calls fn on one of the source's pooled connections (the extended
// protocol, no statement cache), within the source's timeout; its error
// names the server and never holds a password.
func (p *Postgres) Run(ctx context.Context, fn func(context.Context, *pgx.Conn) error) error {
	return p.conn.run(ctx, fn)
}

// postgresQuery reads the settings and the grouped sessions in one round
// trip. $1 is the exporter's application_name, $2 whether to group by
// database and user. A Unix-socket backend has client_port -1.
const postgresQuery = `
SELECT st.ssl, st.min_version, st.server_version, st.role, st.read_all_stats,
       g.transport, g.version, g.cipher, g.client_cert, g.datname, g.usename, g.n
FROM (SELECT current_setting('ssl') AS ssl,
             -- pg_settings, unlike current_setting, hides what needs pg_read_all_settings
             coalesce((SELECT setting FROM pg_settings WHERE name = 'ssl_min_protocol_version'), '') AS min_version,
             current_setting('server_version') AS server_version,
             current_user::text AS role,
             pg_has_role('pg_read_all_stats', 'USAGE') AS read_all_stats) st
LEFT JOIN (
    SELECT CASE WHEN s.ssl THEN 'true'
                WHEN a.client_port = -1 THEN 'socket'
                ELSE 'false' END AS transport,
           coalesce(s.version, '') AS version,
           coalesce(s.cipher, '') AS cipher,
           s.client_dn IS NOT NULL AS client_cert,
           CASE WHEN $2::bool THEN coalesce(a.datname::text, '') ELSE '' END AS datname,
           CASE WHEN $2::bool THEN coalesce(a.usename::text, '') ELSE '' END AS usename,
           count(*) AS n
    FROM pg_stat_activity a
    JOIN pg_stat_ssl s ON s.pid = a.pid
    WHERE a.backend_type = 'client backend'
      AND a.application_name IS DISTINCT FROM $1::text
    GROUP BY 1, 2, 3, 4, 5, 6
) g ON true`

// Collect reads the server's settings and counts its client backends. On
// a missing privilege it returns the settings with the error.
func (p *Postgres) Collect(ctx context.Context) (*PostgresReport, error) {
	var report *PostgresReport
	var role string
	var readAll bool
	err := p.conn.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		report = &PostgresReport{Server: p.Name(), ByDatabaseUser: p.conn.opts.ByDatabaseUser}
		rows, err := c.Query(ctx, postgresQuery, p.conn.appName, p.conn.opts.ByDatabaseUser)
		if err != nil {
			return fmt.Errorf("query pg_stat_ssl: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				transport, version, cipher, datname, usename *string
				clientCert                                   *bool
				n                                            *int64
			)
			if err := rows.Scan(&report.Settings.SSL, &report.Settings.MinProtocolVersion, &report.Settings.ServerVersion,
				&role, &readAll, &transport, &version, &cipher, &clientCert, &datname, &usename, &n); err != nil {
				return fmt.Errorf("read pg_stat_ssl: %w", err)
			}
			if n == nil { // no sessions: the settings row alone
				continue
			}
			report.Groups = append(report.Groups, PostgresGroup{Transport: Transport(*transport), Version: *version,
				Cipher: *cipher, ClientCert: *clientCert, Database: *datname, User: *usename, Count: int(*n)})
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read pg_stat_ssl: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !readAll {
		report.Groups = nil
		return report, p.conn.errorf("role %q may not see other roles' sessions in pg_stat_ssl: it needs pg_read_all_stats (GRANT pg_monitor TO %s)",
			role, role)
	}
	slices.SortFunc(report.Groups, func(a, b PostgresGroup) int {
		return cmp.Or(cmp.Compare(a.Transport, b.Transport), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Cipher, b.Cipher),
			compareBool(a.ClientCert, b.ClientCert), cmp.Compare(a.Database, b.Database), cmp.Compare(a.User, b.User))
	})
	return report, nil
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
