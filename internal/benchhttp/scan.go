package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
	"github.com/magflow/pgtls_exporter/internal/tlsscan"
)

// scanTargets is how many targets the /metrics measurement scans.
const scanTargets = 100

// cost is the wall and CPU time of one piece of work.
type cost struct{ wall, cpu time.Duration }

// rusage returns the CPU time of this process (who = RUSAGE_SELF) or of
// its waited-for children and their descendants (RUSAGE_CHILDREN).
func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runScan measures the TLS scan on a real PostgreSQL and PgBouncer: one
// full scan of each, in this process and by testssl.sh in the same run;
// then warm /metrics of the exporter with scanTargets scanned targets,
// beside the floor serving the same exposition.
// baseline, when set, is an exporter binary without scans, measured with
// the same targets in the same run.
func runScan(ctx context.Context, bin, baseline string, scrapes, rounds int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	dir, s, stop, err := startBenchStack(ctx)
	if err != nil {
		return err
	}
	defer stop()

	fmt.Println("## One full TLS scan of one server, beside testssl.sh --starttls postgres -p -E in the same run")
	fmt.Println()
	fmt.Println("| server | scanner | hellos | wall | CPU | testssl's wall / ours | testssl's CPU / ours |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, server := range []struct{ name, addr string }{{"PostgreSQL 15", s.PostgresAddr()}, {"PgBouncer 1.18", s.PgBouncerAddr()}} {
		ours, hellos, err := scanOnce(ctx, server.addr)
		if err != nil {
			return err
		}
		theirs, err := testsslOnce(ctx, server.addr)
		if err != nil {
			return err
		}
		fmt.Printf("| %s | pgtls_exporter (internal/tlsscan, unthrottled) | %d | %s | %s | %.1f× | %.1f× |\n",
			server.name, hellos, ms(ours.wall), ms(ours.cpu), ratio(theirs.wall, ours.wall), ratio(theirs.cpu, ours.cpu))
		fmt.Printf("| %s | testssl.sh 3.0.8 (and its openssl processes) | | %s | %s | | |\n", server.name, ms(theirs.wall), ms(theirs.cpu))
	}

	r, err := benchScannedMetrics(ctx, bin, baseline, self, dir, s, scrapes, rounds)
	if err != nil {
		return err
	}
	fmt.Printf("\n## /metrics, warm, gzip, %d targets scanned (and probed in each scrape), median of %d scrapes\n\n", scanTargets, scrapes*rounds)
	fmt.Println("| server | series | wall | CPU | RSS | wall / exporter's |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, sv := range append([]served{r.exporter, r.floor}, r.baseline...) {
		fmt.Printf("| %s | %d | %s | %s | %s | %.2f× |\n", sv.name, sv.series, ms(sv.wall), ms(sv.cpu), mib(sv.rss), ratio(sv.wall, r.exporter.wall))
	}
	fmt.Printf("\nAll %d targets scanned %s after start (scan.handshakes_per_second 20).\n", scanTargets, ms(r.ready))
	return nil
}

// scanOnce scans addr once, unthrottled as testssl.sh is, and returns
// its cost and how many hellos it sent.
func scanOnce(ctx context.Context, addr string) (cost, int, error) {
	cpu0, t0 := rusage(syscall.RUSAGE_SELF), time.Now()
	res, err := tlsscan.Scan(ctx, tlsscan.Options{Address: addr, ServerName: "localhost", Timeout: 10 * time.Second})
	c := cost{wall: time.Since(t0), cpu: rusage(syscall.RUSAGE_SELF) - cpu0}
	if err != nil {
		return c, 0, fmt.Errorf("scan %s: %w", addr, err)
	}
	return c, res.Handshakes, nil
}

// testsslOnce runs `testssl --starttls postgres -p -E` on addr and returns
// its cost, its own processes and openssl's together.
func testsslOnce(ctx context.Context, addr string) (cost, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cpu0, t0 := rusage(syscall.RUSAGE_CHILDREN), time.Now()
	cmd := exec.CommandContext(ctx, "testssl", "--quiet", "--color", "0", "--warnings", "off", "--starttls", "postgres", "-p", "-E", addr)
	out, err := cmd.CombinedOutput()
	c := cost{wall: time.Since(t0), cpu: rusage(syscall.RUSAGE_CHILDREN) - cpu0}
	if err != nil {
		return c, fmt.Errorf("testssl %s: %w\n%s", addr, err, out)
	}
	return c, nil
}

// scannedMetrics is the /metrics measurement with scanned targets.
type scannedMetrics struct {
	exporter, floor served
	baseline        []served      // the binary without scans, when measured
	ready           time.Duration // until every target was scanned
}

// benchScannedMetrics starts the exporter with scanTargets targets, half
// PostgreSQL and half PgBouncer, waits until each has been scanned, and
// measures warm scrapes beside the floor.
func benchScannedMetrics(ctx context.Context, bin, baseline, self, dir string, s *testenv.Stack, scrapes, rounds int) (scannedMetrics, error) {
	var res scannedMetrics
	var yml strings.Builder
	fmt.Fprintf(&yml, "ca: {cert: %s}\ntargets:\n", s.Certs().CA)
	for i := range scanTargets {
		addr := s.PostgresAddr()
		if i%2 == 1 {
			addr = s.PgBouncerAddr()
		}
		fmt.Fprintf(&yml, "  - {name: t%03d, address: %q, server_name: localhost}\n", i, addr)
	}
	cfg := filepath.Join(dir, "scan.yml")
	if err := os.WriteFile(cfg, []byte(yml.String()), 0o600); err != nil {
		return res, err
	}
	begin := time.Now()
	exp, base, stopExp, err := startExporter(ctx, "pgtls_exporter", bin, cfg)
	if err != nil {
		return res, err
	}
	defer stopExp()
	var text []byte
	for {
		if _, text, err = get(ctx, base+"/metrics", nil); err != nil {
			return res, err
		}
		if bytes.Count(text, []byte("\npgtls_scan_last_success_timestamp_seconds{")) == scanTargets {
			break
		}
		if time.Since(begin) > 5*time.Minute {
			return res, fmt.Errorf("not every target scanned after 5 minutes")
		}
		time.Sleep(time.Second)
	}
	res.ready = time.Since(begin)
	floor, floorBase, stopFloor, err := startFloor(ctx, self, dir, text)
	if err != nil {
		return res, err
	}
	defer stopFloor()
	res.exporter = served{name: "pgtls_exporter", series: seriesCount(text)}
	res.floor = served{name: "client_golang floor", series: seriesCount(text)}
	headers := prometheusHeaders(10 * time.Second)
	if code, _, err := get(ctx, base+"/metrics", headers); err != nil {
		return res, fmt.Errorf("scrape: %w", err)
	} else if code != http.StatusOK {
		return res, fmt.Errorf("scrape: HTTP %d", code)
	}
	contenders := []contender{{p: exp, url: base + "/metrics", out: &res.exporter}, {p: floor, url: floorBase + "/metrics", out: &res.floor}}
	if baseline != "" {
		old, oldBase, stopOld, err := startExporter(ctx, "without scans", baseline, cfg)
		if err != nil {
			return res, err
		}
		defer stopOld()
		_, oldText, err := get(ctx, oldBase+"/metrics", headers)
		if err != nil {
			return res, err
		}
		res.baseline = []served{{name: "the exporter before scans (" + filepath.Base(baseline) + ")", series: seriesCount(oldText)}}
		contenders = append(contenders, contender{p: old, url: oldBase + "/metrics", out: &res.baseline[0]})
	}
	err = measureRounds(ctx, contenders, headers, scrapes, rounds)
	return res, err
}

// startExporter starts bin on cfg on a port of its own and waits until it
// answers /-/healthy; stop stops it.
func startExporter(ctx context.Context, name, bin, cfg string) (p *process, base string, stop func(), err error) {
	port, err := testenv.ReservePort()
	if err != nil {
		return nil, "", nil, err
	}
	base = fmt.Sprintf("http://127.0.0.1:%d", port.Number)
	p, err = start(ctx, name, base, "/-/healthy", bin, "--config.file="+cfg,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port.Number), "--log.level=warn")
	if err != nil {
		port.Release()
		return nil, "", nil, err
	}
	return p, base, func() { p.stop(); port.Release() }, nil
}
