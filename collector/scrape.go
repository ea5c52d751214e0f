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
// While an inspector's first inspection is under way (start-up), the
// scrape gets what is ready instead of waiting for every file.
func inspectOnce(ctx context.Context, in Inspector) (*inspect.Report, time.Time) {
	s, ok := ctx.Value(scrapeKey{}).(*scrape)
	if !ok {
		now := time.Now()
		return inspectOrSnapshot(in, now), now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, done := s.reports[in]
	if !done {
		r = inspectOrSnapshot(in, s.now)
		s.reports[in] = r
	}
	return r, s.now
}

// snapshotter is an Inspector that can answer before its first inspection
// has finished; *inspect.Inspector is one.
type snapshotter interface {
	InspectOrSnapshot(now time.Time) (*inspect.Report, bool)
}

func inspectOrSnapshot(in Inspector, now time.Time) *inspect.Report {
	if s, ok := in.(snapshotter); ok {
		r, _ := s.InspectOrSnapshot(now)
		return r
	}
	return in.Inspect(now)
}
