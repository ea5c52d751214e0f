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
// and, in the same run, the floor serving the same series.
type metricsResult struct {
	entries, series int
	ready, first    time.Duration // from process start
	wall, cpu       time.Duration // warm scrape: median wall, CPU per scrape
	rss             int64
	floorWall       time.Duration
	floorCPU        time.Duration
	floorRSS        int64
}

// benchMetrics measures warm scrapes of the exporter over n entries and of
// the floor serving the same exposition, in rounds of scrapes.
func benchMetrics(ctx context.Context, bin, self string, n, scrapes, rounds int) (metricsResult, error) {
	res := metricsResult{entries: n}
	dir, err := os.MkdirTemp("", "pgtls-benchhttp-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	certs, err := writeEntries(dir, n)
	if err != nil {
		return res, fmt.Errorf("write %d entries: %w", n, err)
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(certs), 0o644); err != nil {
		return res, err
	}
	port, err := testenv.ReservePort()
	if err != nil {
		return res, err
	}
	defer port.Release()
	base := fmt.Sprintf("http://127.0.0.1:%d", port.Number)
	begin := time.Now()
	exp, err := start(ctx, "pgtls_exporter", base, "/-/healthy", bin, "--config.file="+cfg,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port.Number), "--log.level=warn")
	if err != nil {
		return res, err
	}
	defer exp.stop()
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
	res.series = seriesCount(text)
	expo := filepath.Join(dir, "exposition.txt")
	if err := os.WriteFile(expo, text, 0o644); err != nil {
		return res, err
	}
	floorPort, err := testenv.ReservePort()
	if err != nil {
		return res, err
	}
	defer floorPort.Release()
	floorBase := fmt.Sprintf("http://127.0.0.1:%d", floorPort.Number)
	floor, err := start(ctx, "floor", floorBase, "/-/ready", self, "-serve-floor", expo,
		"-listen", fmt.Sprintf("127.0.0.1:%d", floorPort.Number))
	if err != nil {
		return res, err
	}
	defer floor.stop()

	var walls, floorWalls []time.Duration
	var cpu, floorCPU time.Duration
	for range rounds {
		w, c, err := scrapeRound(ctx, exp, base, headers, scrapes)
		if err != nil {
			return res, err
		}
		walls, cpu = append(walls, w...), cpu+c
		w, c, err = scrapeRound(ctx, floor, floorBase, headers, scrapes)
		if err != nil {
			return res, err
		}
		floorWalls, floorCPU = append(floorWalls, w...), floorCPU+c
	}
	total := time.Duration(scrapes * rounds)
	res.wall, res.cpu = median(walls), cpu/total
	res.floorWall, res.floorCPU = median(floorWalls), floorCPU/total
	if res.rss, _, err = exp.rss(); err != nil {
		return res, err
	}
	if res.floorRSS, _, err = floor.rss(); err != nil {
		return res, err
	}
	return res, nil
}

// scrapeRound scrapes p k times (after one unmeasured scrape) and returns
// the wall time of each and the CPU the process spent on all of them.
func scrapeRound(ctx context.Context, p *process, base string, h http.Header, k int) ([]time.Duration, time.Duration, error) {
	if _, _, err := get(ctx, base+"/metrics", h); err != nil {
		return nil, 0, err
	}
	before, err := p.cpu()
	if err != nil {
		return nil, 0, err
	}
	walls := make([]time.Duration, 0, k)
	for range k {
		t0 := time.Now()
		code, _, err := get(ctx, base+"/metrics", h)
		if err != nil || code != http.StatusOK {
			return nil, 0, fmt.Errorf("scrape %s: %d %v", p.name, code, err)
		}
		walls = append(walls, time.Since(t0))
	}
	after, err := p.cpu()
	return walls, after - before, err
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
