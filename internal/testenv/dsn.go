package testenv

import (
	"net"
	"strconv"
	"strings"
)

// Password returns the password of one of the stack's roles, or "" for
// an unknown role.
func (s *Stack) Password(user string) string { return s.passwords[user] }

// PostgresDSN is a libpq-style DSN for PostgreSQL over TCP to the magflow
// database, trusting the test CA. sslmode defaults to verify-full.
func (s *Stack) PostgresDSN(user, sslmode string) string {
	return s.tcpDSN(s.pgPort, user, Database, sslmode)
}

// PgBouncerDSN is a libpq-style DSN for PgBouncer over TCP, trusting the test
// CA. db "pgbouncer" is the admin console (pgx needs
// default_query_exec_mode=simple_protocol there; under transaction pooling use
// exec or simple_protocol for every database). sslmode defaults to verify-full.
func (s *Stack) PgBouncerDSN(user, db, sslmode string) string {
	return s.tcpDSN(s.bouncerPort, user, db, sslmode)
}

// SocketDSN is a DSN for PostgreSQL's unix socket, where every role is
// trusted without a password (setup and inspection).
func (s *Stack) SocketDSN(user, db string) string {
	return dsn("host", s.SocketDir(), "port", strconv.Itoa(s.pgPort), "dbname", db,
		"user", user, "sslmode", "disable", "connect_timeout", "5")
}

// PgBouncerSocketDSN is a DSN for PgBouncer's unix socket (no TLS there).
func (s *Stack) PgBouncerSocketDSN(user, db string) string {
	return dsn("host", s.PgBouncerSocketDir(), "port", strconv.Itoa(s.bouncerPort), "dbname", db,
		"user", user, "password", s.passwords[user], "sslmode", "disable", "connect_timeout", "5")
}

func (s *Stack) tcpDSN(port int, user, db, sslmode string) string {
	if sslmode == "" {
		sslmode = "verify-full"
	}
	kv := []string{"host", "127.0.0.1", "port", strconv.Itoa(port), "dbname", db, "user", user}
	if pw := s.passwords[user]; pw != "" {
		kv = append(kv, "password", pw)
	}
	kv = append(kv, "sslmode", sslmode, "sslrootcert", s.opts.Certs.CA, "connect_timeout", "5")
	return dsn(kv...)
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// dsn joins key/value pairs into a libpq keyword DSN, quoting values as needed.
func dsn(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := kv[i+1]
		if v == "" || strings.ContainsAny(v, ` '\`) {
			v = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
		}
		b.WriteString(kv[i] + "=" + v)
	}
	return b.String()
}
