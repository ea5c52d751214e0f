// Package sessions counts who is connected to PostgreSQL and PgBouncer with
// and without TLS. It has no Prometheus code: it returns reports that the
// collector package turns into metrics and the check package into findings.
//
// A Postgres source runs one query per collection over pg_stat_ssl joined
// with pg_stat_activity, aggregated in SQL. It counts client backends only
// (backend_type = 'client backend': no walsenders, background workers or
// autovacuum), grouped by TLS use, version, cipher and whether a client
// certificate was presented, and reads the server's ssl,
// ssl_min_protocol_version and server_version settings in the same query.
// Seeing other roles' sessions needs pg_read_all_stats, which pg_monitor
// includes; without it a collection fails instead of under-counting.
//
// A PgBouncer source asks the admin console SHOW VERSION, SHOW CLIENTS and
// SHOW SERVERS (simple protocol; the console has no extended protocol) and
// parses the tls column with ParsePgBouncerTLS. Columns are looked up by
// name, since their order differs between PgBouncer versions.
//
// Every connection is either TLS, plaintext TCP, or a Unix socket (where
// TLS does not apply and which is never a TLS failure); see Transport.
//
// The exporter's own sessions are not counted: each source sets a random
// application_name ("pgtls_exporter-" and 8 hex digits) on its connections
// and leaves sessions with that name out, so the counts are exactly the
// other clients' sessions. Other exporter processes are counted.
//
// Each source keeps a small pool (at most 2 connections), created on the
// first collection and reused, with statement caching off so that it also
// works through PgBouncer. A password_file is read whenever a connection is
// opened. Errors name the source and never contain a password.
package sessions
