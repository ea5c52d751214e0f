package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"time"
)

// scaleResult is the exporter alone over a large estate.
type scaleResult struct {
	entries, series int
	ready           time.Duration // /-/ready answered 200, from process start
	wall, cpu       time.Duration // median wall, CPU per warm gzip scrape
	rss, peakRSS    int64         // after the scrapes
	check           time.Duration // wall of `check` over the same configuration
	checkCode       int
}

// benchScale measures the exporter over n entries, with no floor or peer
// beside it: when it gets ready after start, warm gzip scrapes of /metrics
// (the median of scrapes), its RSS, and the wall time of a `check` run over
// the same configuration.
func benchScale(ctx context.Context, bin string, n, scrapes int) (scaleResult, error) {
	res := scaleResult{entries: n}
	e, err := startEstate(ctx, bin, n)
	if err != nil {
		return res, err
	}
	defer e.close()
	base, begin, exp, cfg := e.base, e.begin, e.exp, e.cfg
	for {
		code, _, err := get(ctx, base+"/-/ready", nil)
		if err == nil && code == http.StatusOK {
			break
		}
		if time.Since(begin) > 10*time.Minute || ctx.Err() != nil {
			return res, fmt.Errorf("not ready after %s: %d %v", time.Since(begin).Round(time.Second), code, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	res.ready = time.Since(begin)
	_, text, err := get(ctx, base+"/metrics", nil)
	if err != nil {
		return res, fmt.Errorf("scrape: %w", err)
	}
	res.series = seriesCount(text)
	walls, cpu, err := scrapeRound(ctx, exp, base+"/metrics", prometheusHeaders(30*time.Second), scrapes)
	if err != nil {
		return res, err
	}
	res.wall, res.cpu = median(walls), cpu/time.Duration(scrapes)
	if res.rss, res.peakRSS, err = exp.rss(); err != nil {
		return res, err
	}
	exp.stop() // check runs alone
	t0 := time.Now()
	err = exec.CommandContext(ctx, bin, "check", "--config.file="+cfg).Run()
	res.check = time.Since(t0)
	if ee, ok := err.(*exec.ExitError); ok {
		res.checkCode = ee.ExitCode()
	} else if err != nil {
		return res, fmt.Errorf("check: %w", err)
	}
	return res, nil
}

// printScale prints the scaling row.
func printScale(r scaleResult, scrapes int) {
	fmt.Printf("## Scale: the exporter alone over %d entries (median of %d warm gzip scrapes; CPU per scrape from /proc)\n\n", r.entries, scrapes)
	fmt.Println("| entries | series | /-/ready after start | warm /metrics wall | CPU | RSS (peak) | check wall (exit) |")
	fmt.Println("|---|---|---|---|---|---|---|")
	fmt.Printf("| %d | %d | %s | %s | %s | %s (%s) | %s (%d) |\n", r.entries, r.series, ms(r.ready), ms(r.wall), ms(r.cpu),
		mib(r.rss), mib(r.peakRSS), ms(r.check), r.checkCode)
}
