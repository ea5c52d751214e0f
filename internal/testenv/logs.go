package testenv

import "strings"

// RoutineLogLine reports whether a line of PostgreSQL's or PgBouncer's log
// is one that any connection, or the stack itself, makes: PostgreSQL's
// log_connections line, PgBouncer's periodic stats and the stack's own
// logins to PgBouncer's admin console (its readiness check). Any other line
// after a probe is something the probe made a server complain about.
func RoutineLogLine(line string) bool {
	return strings.Contains(line, "connection received:") || strings.Contains(line, " LOG stats: ") ||
		strings.Contains(line, " pgbouncer/stats@")
}
