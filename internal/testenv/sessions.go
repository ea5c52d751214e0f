package testenv

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// OpenSessions opens n client sessions with dsn (16 at a time, simple
// protocol, so they also work through PgBouncer's transaction pooling) and
// closes them when the test ends. A session is established once Connect
// returns; none runs a query, so through PgBouncer none holds a server
// connection.
func OpenSessions(tb testing.TB, dsn string, n int) []*pgx.Conn {
	tb.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatalf("parse DSN: %v", err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conns, errs := make([]*pgx.Conn, n), make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			conns[i], errs[i] = pgx.ConnectConfig(ctx, cfg)
		})
	}
	wg.Wait()
	tb.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close(context.Background())
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("session %d of %d: %v", i+1, n, err)
		}
	}
	return conns
}
