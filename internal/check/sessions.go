package check

import (
	"context"
	"slices"
	"sync"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/sources"
)

// SessionFindings collects once from every session source of set, all at
// once, and judges the reports.
func SessionFindings(ctx context.Context, set *sources.Set) []rules.Finding {
	results := make([][]rules.Finding, len(set.Postgres)+len(set.PgBouncer))
	var wg sync.WaitGroup
	for i, src := range set.Postgres {
		wg.Go(func() {
			r, err := src.Collect(ctx)
			results[i] = rules.PostgresFindings(src.Name(), r, err, set.Policy)
		})
	}
	for i, src := range set.PgBouncer {
		wg.Go(func() {
			r, err := src.Collect(ctx)
			results[len(set.Postgres)+i] = rules.PgBouncerFindings(src.Name(), src.ExpectServerTLS(), r, err, set.Policy)
		})
	}
	wg.Wait()
	return slices.Concat(results...)
}
