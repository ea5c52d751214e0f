package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Sessions names the servers whose client sessions are counted by TLS use.
type Sessions struct {
	// Postgres servers are read through pg_stat_ssl and pg_stat_activity.
	Postgres []PostgresSessions `yaml:"postgres"`
	// PgBouncer servers are read through the admin console (SHOW CLIENTS,
	// SHOW SERVERS).
	PgBouncer []PgBouncerSessions `yaml:"pgbouncer"`
}

// SessionSource is how the exporter reaches one server.
type SessionSource struct {
	// Name labels the server in metrics and findings.
	Name string `yaml:"name"`
	// DSN is a libpq connection string; relative sslrootcert, sslcert and
	// sslkey paths are resolved against the configuration folder.
	DSN DSN `yaml:"dsn"`
	// PasswordFile holds the password, read by certs.ReadPasswordFile (a
	// trailing newline is ignored, an empty file is refused); it is read
	// on every new connection. Empty: the DSN's own mechanisms
	// (password=, PGPASSWORD, .pgpass).
	PasswordFile string `yaml:"password_file"`
	// ByDatabaseUser adds database and user labels to the counts.
	ByDatabaseUser bool `yaml:"by_database_user"`
}

// PostgresSessions is a PostgreSQL server whose client backends are counted.
type PostgresSessions struct {
	SessionSource `yaml:",inline"`
}

// PgBouncerSessions is a PgBouncer whose client and server connections are
// counted.
type PgBouncerSessions struct {
	SessionSource `yaml:",inline"`
	// ExpectServerTLS says that server_tls_sslmode enforces TLS: a
	// plaintext server connection is then CRITICAL in check.
	ExpectServerTLS bool `yaml:"expect_server_tls"`
}

// validateSessions checks the sessions section.
func (c *Config) validateSessions(add func(path, format string, args ...any)) {
	var pg, pgb []SessionSource
	for _, s := range c.Sessions.Postgres {
		pg = append(pg, s.SessionSource)
	}
	for _, s := range c.Sessions.PgBouncer {
		pgb = append(pgb, s.SessionSource)
	}
	validateSessionList("sessions.postgres", pg, add)
	validateSessionList("sessions.pgbouncer", pgb, add)
}

func validateSessionList(list string, sources []SessionSource, add func(path, format string, args ...any)) {
	seen := map[string]int{}
	for i, s := range sources {
		p := fmt.Sprintf("%s[%d]", list, i)
		switch {
		case s.Name == "":
			add(p+".name", "is required")
		case !validName.MatchString(s.Name):
			add(p+".name", "%q may hold only letters, digits, '_', '.' and '-'", s.Name)
		default:
			if j, dup := seen[s.Name]; dup {
				add(p+".name", "%q is already used by %s[%d]", s.Name, list, j)
			}
			seen[s.Name] = i
		}
		if err := checkDSN(s.DSN); err != nil {
			add(p+".dsn", "%v", err)
		}
	}
}

// checkDSN parses a DSN the way the sessions sources will, without reading
// the files it names. Its errors never contain a password.
func checkDSN(d DSN) error {
	if d == "" {
		return errors.New("is required")
	}
	p, err := parseDSN(d.Value())
	if err != nil {
		return fmt.Errorf("does not parse: %w", err)
	}
	_, hasCert := p.get("sslcert")
	_, hasKey := p.get("sslkey")
	if hasCert != hasKey {
		return errors.New("sslcert and sslkey must be given together")
	}
	if _, err := pgx.ParseConfig(p.withoutFileKeys()); err != nil {
		return errors.New("does not parse: " + ParseErrorText(err, p.secrets()...))
	}
	return nil
}

// ParseErrorText is the text of an error from pgx.ParseConfig without the
// connection string pgx quotes in it, with every given secret masked.
func ParseErrorText(err error, secrets ...string) string {
	msg := err.Error()
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		bare := *pce
		bare.ConnString = ""
		msg = strings.TrimPrefix(bare.Error(), "cannot parse ``: ")
	}
	return MaskSecrets(msg, secrets...)
}

// MaskSecrets replaces every occurrence of each non-empty secret in s.
func MaskSecrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redactedMask)
		}
	}
	return s
}

// DSNSecrets returns the passwords written in a DSN (to mask them in error
// texts); none for a DSN that does not parse.
func DSNSecrets(d DSN) []string {
	p, err := parseDSN(d.Value())
	if err != nil {
		return nil
	}
	return p.secrets()
}
