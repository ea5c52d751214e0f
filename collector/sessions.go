package collector

import (
	"context"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/sessions"
)

const (
	pgSessionsHelp     = "Client backends of a PostgreSQL server by TLS use (ssl: true, false or socket)."
	bouncerSessionHelp = "PgBouncer client and server connections by TLS use (tls: true, false or socket)."
)

var (
	pgSessionsDesc = prometheus.NewDesc(Namespace+"_pg_stat_ssl_connections", pgSessionsHelp,
		[]string{"server", "ssl", "version", "cipher", "client_cert"}, nil)
	pgSessionsByUserDesc = prometheus.NewDesc(Namespace+"_pg_stat_ssl_connections", pgSessionsHelp,
		[]string{"server", "ssl", "version", "cipher", "client_cert", "datname", "usename"}, nil)
	pgSettingsDesc = prometheus.NewDesc(Namespace+"_pg_ssl_settings_info",
		"TLS settings and version of a PostgreSQL server.",
		[]string{"server", "ssl", "ssl_min_protocol_version", "server_version"}, nil)
	bouncerSessionsDesc = prometheus.NewDesc(Namespace+"_pgbouncer_connections", bouncerSessionHelp,
		[]string{"server", "side", "tls", "version", "cipher"}, nil)
	bouncerSessionsByUserDesc = prometheus.NewDesc(Namespace+"_pgbouncer_connections", bouncerSessionHelp,
		[]string{"server", "side", "tls", "version", "cipher", "database", "user"}, nil)
	bouncerVersionDesc = prometheus.NewDesc(Namespace+"_pgbouncer_version_info",
		"Version of a PgBouncer.", []string{"server", "version"}, nil)
)

// PostgresSessionSource yields PostgreSQL session reports;
// *sessions.Postgres is one.
type PostgresSessionSource interface {
	Name() string
	Collect(ctx context.Context) (*sessions.PostgresReport, error)
	Close()
}

// PgBouncerSessionSource yields PgBouncer session reports;
// *sessions.PgBouncer is one.
type PgBouncerSessionSource interface {
	Name() string
	Collect(ctx context.Context) (*sessions.PgBouncerReport, error)
	Close()
}

// PostgresSessions exports the client backends of one PostgreSQL server
// by TLS use, and the server's TLS settings.
type PostgresSessions struct {
	src    PostgresSessionSource
	policy rules.Policy
}

// NewPostgresSessions returns the source of one PostgreSQL server, whose
// sessions are judged by policy.
func NewPostgresSessions(src PostgresSessionSource, policy rules.Policy) *PostgresSessions {
	return &PostgresSessions{src: src, policy: policy}
}

// Name implements Source: "pg_stat_ssl/" and the server's name.
func (p *PostgresSessions) Name() string { return "pg_stat_ssl/" + p.src.Name() }

// Update implements Source.
func (p *PostgresSessions) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	r, err := p.src.Collect(ctx)
	for _, m := range postgresMetrics(r) {
		ch <- m
	}
	for _, m := range problemMetrics(rules.PostgresFindings(p.src.Name(), r, err, p.policy)) {
		ch <- m
	}
	return err
}

// Close closes the server's connections.
func (p *PostgresSessions) Close() error {
	p.src.Close()
	return nil
}

// postgresMetrics turns a report (nil: none) into metrics.
func postgresMetrics(r *sessions.PostgresReport) []prometheus.Metric {
	if r == nil {
		return nil
	}
	ms := []prometheus.Metric{gauge(pgSettingsDesc, 1,
		r.Server, r.Settings.SSL, r.Settings.MinProtocolVersion, r.Settings.ServerVersion)}
	for _, g := range r.Groups {
		labels := []string{r.Server, string(g.Transport), g.Version, g.Cipher, strconv.FormatBool(g.ClientCert)}
		desc := pgSessionsDesc
		if r.ByDatabaseUser {
			desc, labels = pgSessionsByUserDesc, append(labels, g.Database, g.User)
		}
		ms = append(ms, gauge(desc, float64(g.Count), labels...))
	}
	return ms
}

// PgBouncerSessions exports the client and server connections of one
// PgBouncer by TLS use, and its version.
type PgBouncerSessions struct {
	src             PgBouncerSessionSource
	expectServerTLS bool
	policy          rules.Policy
}

// NewPgBouncerSessions returns the source of one PgBouncer;
// expectServerTLS makes its server connections without TLS critical, and
// policy judges the rest.
func NewPgBouncerSessions(src PgBouncerSessionSource, expectServerTLS bool, policy rules.Policy) *PgBouncerSessions {
	return &PgBouncerSessions{src: src, expectServerTLS: expectServerTLS, policy: policy}
}

// Name implements Source: "pgbouncer/" and the PgBouncer's name.
func (b *PgBouncerSessions) Name() string { return "pgbouncer/" + b.src.Name() }

// Update implements Source.
func (b *PgBouncerSessions) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	r, err := b.src.Collect(ctx)
	for _, m := range pgbouncerMetrics(r) {
		ch <- m
	}
	for _, m := range problemMetrics(rules.PgBouncerFindings(b.src.Name(), b.expectServerTLS, r, err, b.policy)) {
		ch <- m
	}
	return err
}

// Close closes the PgBouncer connections.
func (b *PgBouncerSessions) Close() error {
	b.src.Close()
	return nil
}

// pgbouncerMetrics turns a report (nil: none) into metrics.
func pgbouncerMetrics(r *sessions.PgBouncerReport) []prometheus.Metric {
	if r == nil {
		return nil
	}
	ms := []prometheus.Metric{gauge(bouncerVersionDesc, 1, r.Server, r.Version)}
	for _, g := range r.Groups {
		labels := []string{r.Server, g.Side, string(g.Transport), g.Version, g.Cipher}
		desc := bouncerSessionsDesc
		if r.ByDatabaseUser {
			desc, labels = bouncerSessionsByUserDesc, append(labels, g.Database, g.User)
		}
		ms = append(ms, gauge(desc, float64(g.Count), labels...))
	}
	return ms
}
