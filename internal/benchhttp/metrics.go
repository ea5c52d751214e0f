package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// metricsResult is one /metrics measurement: the exporter over n entries
// and, in the same run, the floor serving the same series and any peers
// watching the same certificates.
type metricsResult struct {
	entries      int
	ready, first time.Duration // from process start
	exporter     served
	floor        served
	peers        []served
}

// served is what one server's warm scrapes cost.
type served struct {
	name      string
	series    int
	wall, cpu time.Duration // median wall, CPU per scrape
	rss       int64
}

// peer is another exporter of the same certificates: how to start it on
// a folder of certificates and what to scrape.
type peer struct {
	name string
	// argv returns the command line for certificates in crtDir, listening
	// on listen; path what to scrape; ready what answers 200 once up.
	argv  func(crtDir, listen string) []string
	path  func(crtDir string) string
	ready string
}

// benchMetrics measures warm scrapes of the exporter over n entries and of
// the floor serving the same exposition, in rounds of scrapes.
func benchMetrics(ctx context.Context, bin, self string, n, scrapes, rounds int, peers []peer) (metricsResult, error) {
	res := metricsResult{entries: n}
	e, err := startEstate(ctx, bin, n)
	if err != nil {
		return res, err
	}
	defer e.close()
	dir, base, begin, exp := e.dir, e.base, e.begin, e.exp
	headers := prometheusHeaders(10 * time.Second)
	if code, _, err := get(ctx, base+"/metrics", headers); err != nil || code != http.StatusOK {
		return res, fmt.Errorf("first scrape: %d %v", code, err)
	}
	res.first = time.Since(begin)
	for time.Since(begin) < 2*time.Minute {
		if code, _, err := get(ctx, base+"/-/ready", nil); err == nil && code == http.StatusOK {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	res.ready = time.Since(begin)

	// The floor serves exactly what the exporter serves.
	_, text, err := get(ctx, base+"/metrics", nil)
	if err != nil {
		return res, err
	}
	res.exporter.series, res.floor.series = seriesCount(text), seriesCount(text)
	floor, floorBase, stopFloor, err := startFloor(ctx, self, dir, text)
	if err != nil {
		return res, err
	}
	defer stopFloor()

	contenders := []contender{{p: exp, url: base + "/metrics", out: &res.exporter}, {p: floor, url: floorBase + "/metrics", out: &res.floor}}
	res.exporter.name, res.floor.name = "pgtls_exporter", "client_golang floor"
	res.peers = make([]served, len(peers))
	for i, pr := range peers {
		port, err := testenv.ReservePort()
		if err != nil {
			return res, err
		}
		defer port.Release()
		listen := fmt.Sprintf("127.0.0.1:%d", port.Number)
		p, err := start(ctx, pr.name, "http://"+listen, pr.ready, pr.argv(filepath.Join(dir, "crt"), listen)...)
		if err != nil {
			return res, err
		}
		defer p.stop()
		url := "http://" + listen + pr.path(filepath.Join(dir, "crt"))
		series, err := settledSeries(ctx, url)
		if err != nil {
			return res, err
		}
		res.peers[i] = served{name: pr.name, series: series}
		contenders = append(contenders, contender{p: p, url: url, out: &res.peers[i]})
	}
	if err := measureRounds(ctx, contenders, headers, scrapes, rounds); err != nil {
		return res, err
	}
	return res, nil
}

// contender is a server measured in a run, and where its figures go.
type contender struct {
	p   *process
	url string
	out *served
}

// startFloor serves text, an exposition, as the client_golang floor
// does; stop stops it.
func startFloor(ctx context.Context, self, dir string, text []byte) (p *process, base string, stop func(), err error) {
	expo := filepath.Join(dir, "exposition.txt")
	if err := os.WriteFile(expo, text, 0o644); err != nil {
		return nil, "", nil, err
	}
	port, err := testenv.ReservePort()
	if err != nil {
		return nil, "", nil, err
	}
	base = fmt.Sprintf("http://127.0.0.1:%d", port.Number)
	p, err = start(ctx, "floor", base, "/-/ready", self, "-serve-floor", expo, "-listen", fmt.Sprintf("127.0.0.1:%d", port.Number))
	if err != nil {
		port.Release()
		return nil, "", nil, err
	}
	return p, base, func() { p.stop(); port.Release() }, nil
}

// measureRounds scrapes each contender k times per round and sets its
// median wall time, CPU per scrape and RSS. Rounds alternate between the
// servers, so that a noisy moment of the machine falls on all of them.
func measureRounds(ctx context.Context, contenders []contender, headers http.Header, k, rounds int) error {
	walls := make([][]time.Duration, len(contenders))
	cpus := make([]time.Duration, len(contenders))
	for range rounds {
		for i, c := range contenders {
			w, cp, err := scrapeRound(ctx, c.p, c.url, headers, k)
			if err != nil {
				return err
			}
			walls[i], cpus[i] = append(walls[i], w...), cpus[i]+cp
		}
	}
	for i, c := range contenders {
		c.out.wall, c.out.cpu = median(walls[i]), cpus[i]/time.Duration(k*rounds)
		var err error
		if c.out.rss, _, err = c.p.rss(); err != nil {
			return err
		}
	}
	return nil
}

// scrapeRound scrapes p k times (after one unmeasured scrape) and returns
// the wall time of each and the CPU the process spent on all of them.
func scrapeRound(ctx context.Context, p *process, url string, h http.Header, k int) ([]time.Duration, time.Duration, error) {
	if _, _, err := get(ctx, url, h); err != nil {
		return nil, 0, err
	}
	before, err := p.cpu()
	if err != nil {
		return nil, 0, err
	}
	walls := make([]time.Duration, 0, k)
	for range k {
		t0 := time.Now()
		code, _, err := get(ctx, url, h)
		if err != nil || code != http.StatusOK {
			return nil, 0, fmt.Errorf("scrape %s: %d %v", p.name, code, err)
		}
		walls = append(walls, time.Since(t0))
	}
	after, err := p.cpu()
	return walls, after - before, err
}

// settledSeries scrapes url until its number of series stops changing
// (a peer may read its files in the background), for at most two minutes,
// and returns it.
func settledSeries(ctx context.Context, url string) (int, error) {
	last := -1
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		_, text, err := get(ctx, url, nil)
		if err != nil {
			return 0, err
		}
		n := seriesCount(text)
		if n == last {
			return n, nil
		}
		last = n
		time.Sleep(2 * time.Second)
	}
	return last, nil
}

// seriesCount counts the samples of a text exposition.
func seriesCount(text []byte) int {
	n := 0
	for _, line := range bytes.Split(text, []byte("\n")) {
		if len(line) > 0 && line[0] != '#' {
			n++
		}
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
