package check

import (
	"context"
	"slices"
	"sync"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/sessions"
)

// SessionFindings collects once from every configured session source, all
// at once, and judges the reports. Sources are asked by database and user,
// so that findings name who is on plaintext.
func SessionFindings(ctx context.Context, cfg *config.Config) []rules.Finding {
	pgOpts, bouncerOpts := sessions.PostgresOptions(cfg), sessions.PgBouncerOptions(cfg)
	results := make([][]rules.Finding, len(pgOpts)+len(bouncerOpts))
	var wg sync.WaitGroup
	for i, o := range pgOpts {
		o.ByDatabaseUser = true
		wg.Go(func() {
			src := sessions.NewPostgres(o)
			defer src.Close()
			r, err := src.Collect(ctx)
			results[i] = rules.PostgresFindings(o.Name, r, err)
		})
	}
	for i, o := range bouncerOpts {
		o.ByDatabaseUser = true
		wg.Go(func() {
			src := sessions.NewPgBouncer(o)
			defer src.Close()
			r, err := src.Collect(ctx)
			results[len(pgOpts)+i] = rules.PgBouncerFindings(o.Name, o.ExpectServerTLS, r, err)
		})
	}
	wg.Wait()
	return slices.Concat(results...)
}
