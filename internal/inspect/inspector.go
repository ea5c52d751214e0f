package inspect

import (
	"io/fs"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
)

// parallelFrom is the number of entries from which an inspection spreads
// over several goroutines; a few entries are quicker inline.
const parallelFrom = 32

// Inspector inspects the files of one configuration and caches what it
// found by file identity (device, inode, size, mtime, mode, owner). It is
// safe for concurrent use; inspections run one at a time.
type Inspector struct {
	cfg     *config.Config
	workers int

	mu      sync.Mutex
	ca      caState
	entries []cachedEntry // aligned with cfg.Certificates

	// What Snapshot reads without waiting for an inspection under way:
	// the CA and each entry as last evaluated, and how many entries are in.
	publishedCA   atomic.Pointer[caState]
	published     []atomic.Pointer[EntryReport]
	publishedDone atomic.Int64
	complete      atomic.Bool // one whole inspection has finished
}

type caState struct {
	id        identity
	gen       uint64
	recheckAt time.Time
	authority *certs.Authority
	report    *EntryReport
}

type cachedEntry struct {
	ids       [3]identity
	caGen     uint64
	recheckAt time.Time
	report    *EntryReport
}

// New returns an Inspector for cfg. workers bounds parallel parsing; zero
// means GOMAXPROCS.
func New(cfg *config.Config, workers int) *Inspector {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Inspector{cfg: cfg, workers: workers, entries: make([]cachedEntry, len(cfg.Certificates)),
		published: make([]atomic.Pointer[EntryReport], len(cfg.Certificates))}
}

// Complete reports whether one whole inspection has finished, so that
// Inspect answers from the cache for unchanged files.
func (in *Inspector) Complete() bool { return in.complete.Load() }

// Progress says how many entries have been evaluated at least once, of
// how many.
func (in *Inspector) Progress() (done, total int) {
	return int(in.publishedDone.Load()), len(in.published)
}

// Snapshot returns what the inspector has found so far, without reading a
// file and without waiting for an inspection under way: the CA and the
// entries evaluated at least once, in configuration order. Before the
// first inspection finishes it holds only part of the entries.
func (in *Inspector) Snapshot(now time.Time) *Report {
	r := &Report{Time: now, Entries: make([]*EntryReport, 0, len(in.published))}
	if ca := in.publishedCA.Load(); ca != nil {
		r.CA, r.Authority = ca.report, ca.authority
	}
	for i := range in.published {
		if e := in.published[i].Load(); e != nil {
			r.Entries = append(r.Entries, e)
		}
	}
	return r
}

// Inspect checks every configured file as of now. Entries whose files and
// CA are unchanged, and whose verdicts cannot have changed with time, are
// returned from the cache: the same *EntryReport as before.
func (in *Inspector) Inspect(now time.Time) *Report {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.inspectLocked(now)
}

// InspectOrSnapshot is Inspect, except while the first inspection is
// still under way (a start-up with many files): then it returns the
// Snapshot at once, and false, rather than wait for every file.
func (in *Inspector) InspectOrSnapshot(now time.Time) (*Report, bool) {
	if in.complete.Load() {
		return in.Inspect(now), true
	}
	if !in.mu.TryLock() {
		return in.Snapshot(now), false
	}
	defer in.mu.Unlock()
	return in.inspectLocked(now), true
}

// InspectEntry checks the CA and the named entry only, as of now (every
// other entry as last inspected is left out): what one probe of a target
// that serves that entry needs. An empty or unknown name checks the CA
// alone.
func (in *Inspector) InspectEntry(name string, now time.Time) *Report {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.refreshCA(now)
	r := &Report{Time: now, CA: in.ca.report, Authority: in.ca.authority}
	for i, e := range in.cfg.Certificates {
		if e.Name == name {
			r.Entries = []*EntryReport{in.entry(i, now)}
		}
	}
	return r
}

// inspectLocked is Inspect with in.mu held.
func (in *Inspector) inspectLocked(now time.Time) *Report {
	defer in.complete.Store(true)
	in.refreshCA(now)
	ca := in.ca
	in.publishedCA.Store(&ca)
	out := make([]*EntryReport, len(in.entries))
	if len(out) < parallelFrom {
		for i := range out {
			out[i] = in.entry(i, now)
		}
		return &Report{Time: now, CA: in.ca.report, Entries: out, Authority: in.ca.authority}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(in.workers, len(out)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(out) {
					return
				}
				out[i] = in.entry(i, now)
			}
		})
	}
	wg.Wait()
	return &Report{Time: now, CA: in.ca.report, Entries: out, Authority: in.ca.authority}
}

func (in *Inspector) refreshCA(now time.Time) {
	if in.cfg.CA.Cert == "" {
		return // no CA configured: nothing to verify against
	}
	path := in.cfg.Resolve(in.cfg.CA.Cert)
	id, fi := statFile(path)
	if in.ca.report != nil && id == in.ca.id && !due(in.ca.recheckAt, now) {
		return
	}
	fr, bundle := load(RoleCA, in.cfg.CA.Cert, path, id, fi)
	r := &EntryReport{Name: config.CAName, Files: []FileReport{fr}}
	in.ca = caState{id: id, gen: in.ca.gen + 1, report: r}
	if bundle == nil {
		return
	}
	in.ca.authority = certs.NewAuthority(bundle.Certificates, in.cfg.SecurityLevel())
	v := in.ca.authority.CheckAnchors(now)
	r.Verify = &v
	in.ca.recheckAt = v.RecheckAt
}

func (in *Inspector) entry(i int, now time.Time) *EntryReport {
	e := in.cfg.Certificates[i]
	configured := [3]string{e.Cert, e.Key, e.Combined}
	var (
		paths [3]string
		ids   [3]identity
		infos [3]fs.FileInfo
	)
	for j, p := range configured {
		if p != "" {
			paths[j] = in.cfg.Resolve(p)
			ids[j], infos[j] = statFile(paths[j])
		}
	}
	c := &in.entries[i]
	if c.report != nil && c.ids == ids && c.caGen == in.ca.gen && !due(c.recheckAt, now) {
		return c.report
	}
	ev := evaluation{entry: e, paths: paths, ids: ids, infos: infos, authority: in.ca.authority,
		caConfigured: in.cfg.CA.Cert != "", now: now}
	report, recheckAt := ev.run()
	if c.report == nil {
		in.publishedDone.Add(1)
	}
	*c = cachedEntry{ids: ids, caGen: in.ca.gen, recheckAt: recheckAt, report: report}
	in.published[i].Store(report)
	return report
}

// due reports whether a time-dependent verdict must be evaluated again.
func due(recheckAt, now time.Time) bool {
	return !recheckAt.IsZero() && !now.Before(recheckAt)
}
