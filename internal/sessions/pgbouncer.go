package sessions

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Sides of a PgBouncer connection.
const (
	SideClient = "client" // a client connected to PgBouncer
	SideServer = "server" // PgBouncer's connection to PostgreSQL
)

// PgBouncerGroup counts PgBouncer connections that share side and TLS use
// and, with ByDatabaseUser, database and user.
type PgBouncerGroup struct {
	Side      string
	Transport Transport
	// Version and Cipher are empty without TLS, UnknownTLS when the tls
	// column did not parse.
	Version, Cipher string
	// Database and User are set with Options.ByDatabaseUser.
	Database, User string
	Count          int
}

// PgBouncerReport is one collection from a PgBouncer admin console.
type PgBouncerReport struct {
	Server string
	// ByDatabaseUser tells whether Groups have Database and User.
	ByDatabaseUser bool
	// Version is SHOW VERSION without the "PgBouncer " prefix, e.g. "1.18.0".
	Version string
	// Groups are sorted by side, transport, version, cipher, database and
	// user.
	Groups []PgBouncerGroup
	// Unparsed counts tls columns that ParsePgBouncerTLS refused; their
	// connections are counted as TLS with version and cipher UnknownTLS.
	Unparsed int
}

// PgBouncer counts the client and server connections of one PgBouncer.
type PgBouncer struct {
	conn *conn
}

// NewPgBouncer returns a PgBouncer source; it connects on first use. The
// DSN names the admin console (dbname=pgbouncer) as a user listed in
// stats_users or admin_users.
func NewPgBouncer(opts Options) *PgBouncer {
	return &PgBouncer{conn: newConn("pgbouncer", opts, pgx.QueryExecModeSimpleProtocol)}
}

// Name is the PgBouncer's configured name.
func (b *PgBouncer) Name() string { return b.conn.opts.Name }

// Close closes the source's connections.
func (b *PgBouncer) Close() { b.conn.Close() }

// Run calls fn on one of the source's pooled admin console connections
// (simple protocol only), within the source's timeout; its error names the
// server and never holds a password.
func (b *PgBouncer) Run(ctx context.Context, fn func(context.Context, *pgx.Conn) error) error {
	return b.conn.run(ctx, fn)
}

// ExpectServerTLS reports whether a server connection without TLS is
// critical for this PgBouncer (Options.ExpectServerTLS).
func (b *PgBouncer) ExpectServerTLS() bool { return b.conn.opts.ExpectServerTLS }

// Collect asks the admin console for its version, clients and servers.
func (b *PgBouncer) Collect(ctx context.Context) (*PgBouncerReport, error) {
	var report *PgBouncerReport
	err := b.conn.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		report = &PgBouncerReport{Server: b.Name(), ByDatabaseUser: b.conn.opts.ByDatabaseUser}
		counts := map[PgBouncerGroup]int{}
		err := b.show(ctx, c, "SHOW VERSION", []string{"version"}, func(get func(string) string) {
			report.Version = strings.TrimPrefix(get("version"), "PgBouncer ")
		})
		if err != nil {
			return err
		}
		self := ownAddr(c)
		for _, side := range []string{SideClient, SideServer} {
			err := b.show(ctx, c, "SHOW "+strings.ToUpper(side)+"S", []string{"addr", "port", "tls", "database", "user"},
				func(get func(string) string) {
					if side == SideClient && b.isOwn(get, self) {
						return
					}
					g, ok := classify(side, get("addr"), get("tls"))
					if !ok {
						report.Unparsed++
					}
					if b.conn.opts.ByDatabaseUser {
						g.Database, g.User = get("database"), get("user")
					}
					counts[g]++
				})
			if err != nil {
				return err
			}
		}
		for g, n := range counts {
			g.Count = n
			report.Groups = append(report.Groups, g)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(report.Groups, func(a, b PgBouncerGroup) int {
		return cmp.Or(cmp.Compare(a.Side, b.Side), cmp.Compare(a.Transport, b.Transport), cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Cipher, b.Cipher), cmp.Compare(a.Database, b.Database), cmp.Compare(a.User, b.User))
	})
	return report, nil
}

// classify turns a row's addr and tls columns into a group; ok is false
// when the tls column did not parse.
func classify(side, addr, tlsColumn string) (g PgBouncerGroup, ok bool) {
	g.Side = side
	switch {
	case addr == "unix" || strings.HasPrefix(addr, "/"):
		g.Transport = TransportSocket
	case tlsColumn == "":
		g.Transport = TransportPlaintext
	default:
		g.Transport = TransportTLS
		info, err := ParsePgBouncerTLS(tlsColumn)
		if err != nil {
			g.Version, g.Cipher = UnknownTLS, UnknownTLS
			return g, false
		}
		g.Version, g.Cipher = info.Version, info.Cipher
	}
	return g, true
}

// isOwn reports whether a SHOW CLIENTS row is one of the exporter's own
// connections: by application_name, or, where PgBouncer has no such
// column, by this connection's address.
func (b *PgBouncer) isOwn(get func(string) string, self string) bool {
	if app := get("application_name"); app != "" {
		return app == b.conn.appName
	}
	return self != "" && net.JoinHostPort(get("addr"), get("port")) == self
}

// ownAddr is the local TCP address of c as PgBouncer sees it, or "".
func ownAddr(c *pgx.Conn) string {
	if addr, ok := c.PgConn().Conn().LocalAddr().(*net.TCPAddr); ok {
		return net.JoinHostPort(addr.IP.String(), fmt.Sprint(addr.Port))
	}
	return ""
}

// show runs an admin console command and calls row for every row, with a
// getter of columns by name. The required columns must be present.
func (b *PgBouncer) show(ctx context.Context, c *pgx.Conn, command string, required []string, row func(get func(string) string)) error {
	rows, err := c.Query(ctx, command)
	if err != nil {
		return fmt.Errorf("%s: %w", command, err)
	}
	defer rows.Close()
	index := map[string]int{}
	for i, fd := range rows.FieldDescriptions() {
		index[fd.Name] = i
	}
	for _, col := range required {
		if _, ok := index[col]; !ok {
			return fmt.Errorf("%s: no %q column", command, col)
		}
	}
	var values [][]byte
	get := func(col string) string {
		if i, ok := index[col]; ok && i < len(values) {
			return string(values[i])
		}
		return ""
	}
	for rows.Next() {
		values = rows.RawValues()
		row(get)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", command, err)
	}
	return nil
}
