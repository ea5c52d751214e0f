package collector

import (
	"context"
	"fmt"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// benchSessions is how many sessions BenchmarkSessionsScrape keeps open on
// PostgreSQL and, separately, on PgBouncer.
const benchSessions = 200

// sessionStack starts the test stack with room for benchSessions sessions
// on each server and opens them: on PostgreSQL 150 TLS and 50 plaintext,
// on PgBouncer 190 TLS and 10 Unix-socket clients, 10 of them in a
// transaction (10 server connections).
func sessionStack(b *testing.B) *testenv.Stack {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := testenv.StartT(b, testenv.Options{WithPgBouncer: true, AllowPlaintext: true})
	if err := s.Exec(ctx, "ALTER SYSTEM SET max_connections = 300"); err != nil {
		b.Fatal(err)
	}
	if err := s.StopPostgres(ctx); err != nil {
		b.Fatal(err)
	}
	if err := s.StartPostgres(ctx); err != nil {
		b.Fatal(err)
	}
	if err := setMaxClientConn(ctx, s, 400); err != nil {
		b.Fatal(err)
	}
	testenv.OpenSessions(b, s.PostgresDSN(testenv.UserApp, "verify-full"), 150)
	testenv.OpenSessions(b, s.PostgresDSN(testenv.UserApp, "disable"), 50)
	clients := testenv.OpenSessions(b, s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full"), 190)
	testenv.OpenSessions(b, s.PgBouncerSocketDSN(testenv.UserApp, testenv.Database), 10)
	for _, c := range clients[:10] {
		tx, err := c.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	}
	return s
}

// setMaxClientConn raises PgBouncer's max_client_conn (100 in the test
// stack) on its admin console.
func setMaxClientConn(ctx context.Context, s *testenv.Stack, n int) error {
	cfg, err := pgx.ParseConfig(s.PgBouncerSocketDSN(testenv.UserStats, "pgbouncer"))
	if err != nil {
		return err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close(context.Background()) }()
	_, err = admin.Exec(ctx, fmt.Sprintf("SET max_client_conn = %d", n))
	return err
}

// BenchmarkSessionsScrape measures what the session sources add to a
// scrape with benchSessions sessions open on each server (target: at most
// 5 ms for both): pg_stat_ssl alone, PgBouncer alone, and both as the
// exporter runs them (concurrently), over warm pooled connections.
//
//	go test ./collector/ -run '^$' -bench BenchmarkSessionsScrape -benchtime 200x
func BenchmarkSessionsScrape(b *testing.B) {
	s := sessionStack(b)
	pg := sessions.NewPostgres(sessions.Options{Name: "db", DSN: config.DSN(s.PostgresDSN(testenv.UserMonitor, "verify-full"))})
	pgb := sessions.NewPgBouncer(sessions.Options{Name: "pgbouncer", DSN: config.DSN(s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"))})
	b.Cleanup(func() { pg.Close(); pgb.Close() })
	ctx := context.Background()
	r, err := pg.Collect(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if n := countPostgres(r); n != benchSessions+10 { // + PgBouncer's server connections
		b.Fatalf("PostgreSQL reports %d client backends, want %d: %+v", n, benchSessions+10, r.Groups)
	}
	rb, err := pgb.Collect(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if n := countPgBouncer(rb); n != benchSessions+10 {
		b.Fatalf("PgBouncer reports %d connections, want %d: %+v", n, benchSessions+10, rb.Groups)
	}
	for _, bc := range []struct {
		name    string
		sources []Source
	}{
		{"pg_stat_ssl", []Source{NewPostgresSessions(pg, rules.DefaultPolicy())}},
		{"pgbouncer", []Source{NewPgBouncerSessions(pgb, false, rules.DefaultPolicy())}},
		{"both", []Source{NewPostgresSessions(pg, rules.DefaultPolicy()), NewPgBouncerSessions(pgb, false, rules.DefaultPolicy())}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			exporter := NewExporter(quiet, bc.sources...)
			b.ReportAllocs()
			for b.Loop() {
				drainExporter(exporter)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/scrape")
		})
	}
}

func drainExporter(e *Exporter) {
	ch := make(chan prometheus.Metric, 64)
	done := make(chan struct{})
	go func() {
		for range ch {
		}
		close(done)
	}()
	e.CollectContext(context.Background(), ch)
	close(ch)
	<-done
}

func countPostgres(r *sessions.PostgresReport) int {
	n := 0
	for _, g := range r.Groups {
		n += g.Count
	}
	return n
}

func countPgBouncer(r *sessions.PgBouncerReport) int {
	n := 0
	for _, g := range r.Groups {
		n += g.Count
	}
	return n
}
