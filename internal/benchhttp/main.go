// Command benchhttp measures pgtls_exporter as Prometheus sees it: the real
// binary over HTTP, scraped with gzip as Prometheus scrapes, its process
// CPU (from /proc/PID/stat) and RSS, next to a floor measured in the same
// run: for /metrics, client_golang's own handler serving the same series;
// for /probe, a bare net/http handler doing the SSLRequest and one
// verified handshake (../shared/bench/httpfloor). It prints Markdown
// tables of figures and ratios. make bench-http runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

func main() {
	serveFloor := flag.String("serve-floor", "", "serve this text exposition as the /metrics floor (internal)")
	listen := flag.String("listen", "", "floor listen address (internal)")
	bin := flag.String("bin", "bin/pgtls_exporter", "the exporter binary")
	entries := flag.String("entries", "100,1000,10000", "entry counts for /metrics")
	scrapes := flag.Int("scrapes", 10, "measured scrapes per round")
	rounds := flag.Int("rounds", 3, "rounds of exporter and floor scrapes, alternating")
	probes := flag.Int("probes", 100, "measured /probe requests per round")
	floorSrc := flag.String("probe-floor", "../shared/bench/httpfloor", "source folder of the /probe floor")
	skipProbes := flag.Bool("no-probes", false, "skip the /probe and many-targets measurements")
	flag.Parse()
	if *serveFloor != "" {
		if err := serveMetricsFloor(*serveFloor, *listen); err != nil {
			fmt.Fprintln(os.Stderr, "benchhttp:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *entries, *scrapes, *rounds, *probes, *floorSrc, *skipProbes); err != nil {
		fmt.Fprintln(os.Stderr, "benchhttp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, entries string, scrapes, rounds, probes int, floorSrc string, skipProbes bool) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	fmt.Printf("## /metrics, warm, gzip (median of %d scrapes; CPU per scrape from /proc)\n\n", scrapes*rounds)
	fmt.Println("| entries | series | exporter wall | floor wall | wall ratio | exporter CPU | floor CPU | CPU ratio | exporter RSS | floor RSS | first scrape | ready |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, f := range strings.Split(entries, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("-entries: %w", err)
		}
		r, err := benchMetrics(ctx, bin, self, n, scrapes, rounds)
		if err != nil {
			return err
		}
		fmt.Printf("| %d | %d | %s | %s | %.2f× | %s | %s | %.2f× | %s | %s | %s | %s |\n", r.entries, r.series,
			ms(r.wall), ms(r.floorWall), ratio(r.wall, r.floorWall), ms(r.cpu), ms(r.floorCPU), ratio(r.cpu, r.floorCPU),
			mib(r.rss), mib(r.floorRSS), ms(r.first), ms(r.ready))
	}
	if skipProbes {
		return nil
	}
	dir, err := os.MkdirTemp("", "pgtls-benchstack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	certs, err := writeStackCerts(dir)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := testenv.Start(ctx, testenv.Options{Certs: certs, WithPgBouncer: true, Log: quiet})
	if err != nil {
		return fmt.Errorf("start PostgreSQL and PgBouncer: %w", err)
	}
	defer s.Close()
	results, err := benchProbes(ctx, bin, floorSrc, s, probes, rounds)
	if err != nil {
		return err
	}
	fmt.Printf("\n## /probe, CPU per request (%d sequential requests each, alternating)\n\n", probes*rounds)
	fmt.Println("| target | exporter | floor | ratio |")
	fmt.Println("|---|---|---|---|")
	for _, r := range results {
		fmt.Printf("| %s | %s | %s | %.2f× |\n", r.target, ms(r.cpu), ms(r.floorCPU), ratio(r.cpu, r.floorCPU))
	}
	const live, dead, timeout = 450, 50, 2 * time.Second
	took, ok, err := benchManyTargets(ctx, bin, s, live, dead, timeout)
	if err != nil {
		return err
	}
	fmt.Printf("\n## One scrape of %d targets, %d of them dead (accept, never answer), target timeout %s\n\n", live+dead, dead, timeout)
	fmt.Printf("| scrape wall | probes succeeded |\n|---|---|\n| %s | %d of %d |\n", ms(took), ok, live+dead)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
