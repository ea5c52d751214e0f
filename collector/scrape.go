package collector

import (
	"context"
	"sync"
	"time"

	"github.com/magflow/pgtls_exporter/internal/inspect"
)

// scrapeKey finds a scrape's shared state in its context.
type scrapeKey struct{}

// scrape is what the sources of one scrape share: one moment, and one file
// report per inspector, so the probes' drift comparison reads the very
// report the file source exports.
type scrape struct {
	now     time.Time
	mu      sync.Mutex
	reports map[Inspector]*inspect.Report
}

// withScrape starts a scrape's shared state.
func withScrape(ctx context.Context, now time.Time) context.Context {
	return context.WithValue(ctx, scrapeKey{}, &scrape{now: now, reports: map[Inspector]*inspect.Report{}})
}

// inspectOnce returns the scrape's report of in, inspecting at most once
// per scrape, and the scrape's moment. Outside a scrape it inspects now.
func inspectOnce(ctx context.Context, in Inspector) (*inspect.Report, time.Time) {
	s, ok := ctx.Value(scrapeKey{}).(*scrape)
	if !ok {
		now := time.Now()
		return in.Inspect(now), now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, done := s.reports[in]
	if !done {
		r = in.Inspect(s.now)
		s.reports[in] = r
	}
	return r, s.now
}
