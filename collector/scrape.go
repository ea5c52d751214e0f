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
	reports map[Inspector]inspected
}

// inspected is a scrape's report of an inspector, and whether it covers
// every entry (false: a snapshot taken during the first inspection).
type inspected struct {
	report   *inspect.Report
	complete bool
}

// withScrape starts a scrape's shared state.
func withScrape(ctx context.Context, now time.Time) context.Context {
	return context.WithValue(ctx, scrapeKey{}, &scrape{now: now, reports: map[Inspector]inspected{}})
}

// inspectOnce returns the scrape's report of in, inspecting at most once
// per scrape, and the scrape's moment. Outside a scrape it inspects now.
// While an inspector's first inspection is under way (start-up), the
// scrape gets what is ready instead of waiting for every file.
func inspectOnce(ctx context.Context, in Inspector) (*inspect.Report, time.Time) {
	return inspectScrape(ctx, in, false)
}

// inspectComplete is inspectOnce for a source that needs every entry (the
// probes compare what is served with the files): it waits for the first
// inspection rather than take what is ready.
func inspectComplete(ctx context.Context, in Inspector) (*inspect.Report, time.Time) {
	return inspectScrape(ctx, in, true)
}

func inspectScrape(ctx context.Context, in Inspector, needComplete bool) (*inspect.Report, time.Time) {
	s, ok := ctx.Value(scrapeKey{}).(*scrape)
	if !ok {
		now := time.Now()
		if needComplete {
			return in.Inspect(now), now
		}
		r, _ := inspectOrSnapshot(in, now)
		return r, now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	got, done := s.reports[in]
	switch {
	case done && (got.complete || !needComplete):
	case needComplete:
		got = inspected{report: in.Inspect(s.now), complete: true}
		s.reports[in] = got
	default:
		got.report, got.complete = inspectOrSnapshot(in, s.now)
		s.reports[in] = got
	}
	return got.report, s.now
}

// snapshotter is an Inspector that can answer before its first inspection
// has finished; *inspect.Inspector is one.
type snapshotter interface {
	InspectOrSnapshot(now time.Time) (*inspect.Report, bool)
}

func inspectOrSnapshot(in Inspector, now time.Time) (*inspect.Report, bool) {
	if s, ok := in.(snapshotter); ok {
		return s.InspectOrSnapshot(now)
	}
	return in.Inspect(now), true
}
