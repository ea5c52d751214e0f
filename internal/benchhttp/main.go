// Command benchhttp measures pgtls_exporter as Prometheus sees it: the real
// binary over HTTP, scraped with gzip as Prometheus scrapes, its process
// CPU (from /proc/PID/task/*/schedstat) and RSS, next to a floor measured in the same
// run: for /metrics, client_golang's own handler serving the same series;
// for /probe, a bare net/http handler doing the SSLRequest and one
// verified handshake (../shared/bench/httpfloor). It prints Markdown
// tables of figures and ratios; with -scale N, only the exporter alone
// over N entries, and check over the same configuration. make bench-http
// runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	serveFloor := flag.String("serve-floor", "", "serve this text exposition as the /metrics floor (internal)")
	listen := flag.String("listen", "", "floor listen address (internal)")
	bin := flag.String("bin", "bin/pgtls_exporter", "the exporter binary")
	entries := flag.String("entries", "100,1000,10000", "entry counts for /metrics")
	scrapes := flag.Int("scrapes", 10, "measured scrapes per round")
	rounds := flag.Int("rounds", 3, "rounds of exporter and floor scrapes, alternating")
	probes := flag.Int("probes", 50, "measured /probe requests per round")
	probeRounds := flag.Int("probe-rounds", 20, "rounds of exporter and floor /probe requests, alternating")
	floorSrc := flag.String("probe-floor", "../shared/bench/httpfloor", "source folder of the /probe floor")
	skipProbes := flag.Bool("no-probes", false, "skip the /probe and many-targets measurements")
	scale := flag.Int("scale", 0, "measure only the exporter alone over this many entries (e.g. 100000): /-/ready, warm /metrics, RSS, check")
	x509Peer := flag.String("peer-x509-certificate-exporter", "", "x509-certificate-exporter binary to measure alongside (optional)")
	sslPeer := flag.String("peer-ssl-exporter", "", "ssl_exporter binary to measure alongside: its file prober for /metrics, its tcp prober for /probe (optional)")
	scanOnly := flag.Bool("scan", false, "measure only the TLS scan: one full scan beside testssl.sh, and /metrics with 100 scanned targets")
	scanBaseline := flag.String("scan-baseline", "", "with -scan: an exporter binary without scans, measured over the same targets (optional)")
	flag.Parse()
	for name, v := range map[string]int{"-scrapes": *scrapes, "-rounds": *rounds, "-probes": *probes, "-probe-rounds": *probeRounds} {
		if v < 1 {
			fmt.Fprintf(os.Stderr, "benchhttp: %s must be at least 1, not %d\n", name, v)
			os.Exit(2)
		}
	}
	if *serveFloor != "" {
		if err := serveMetricsFloor(*serveFloor, *listen); err != nil {
			fmt.Fprintln(os.Stderr, "benchhttp:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *scanOnly {
		if err := runScan(ctx, *bin, *scanBaseline, *scrapes, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, "benchhttp:", err)
			os.Exit(1)
		}
		return
	}
	if *scale > 0 {
		if err := runScale(ctx, *bin, *scale, *scrapes); err != nil {
			fmt.Fprintln(os.Stderr, "benchhttp:", err)
			os.Exit(1)
		}
		return
	}
	peers := peersOf(*x509Peer, *sslPeer)
	if err := run(ctx, *bin, *entries, *scrapes, *rounds, *probes, *probeRounds, *floorSrc, *skipProbes, peers, *sslPeer); err != nil {
		fmt.Fprintln(os.Stderr, "benchhttp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, entries string, scrapes, rounds, probes, probeRounds int, floorSrc string, skipProbes bool,
	peers []peer, sslBin string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return err
	}
	fmt.Printf("## /metrics, warm, gzip (median of %d scrapes, rounds alternating between servers; CPU per scrape from /proc)\n\n", scrapes*rounds)
	fmt.Println("| entries | server | series | wall | CPU | RSS | wall / exporter's |")
	fmt.Println("|---|---|---|---|---|---|---|")
	var starts []string
	for _, f := range strings.Split(entries, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("-entries: %w", err)
		}
		r, err := benchMetrics(ctx, bin, self, n, scrapes, rounds, peers)
		if err != nil {
			return err
		}
		for _, s := range append([]served{r.exporter, r.floor}, r.peers...) {
			fmt.Printf("| %d | %s | %d | %s | %s | %s | %.2f× |\n", r.entries, s.name, s.series, ms(s.wall), ms(s.cpu), mib(s.rss),
				ratio(s.wall, r.exporter.wall))
		}
		starts = append(starts, fmt.Sprintf("| %d | %s | %s |", r.entries, ms(r.first), ms(r.ready)))
	}
	fmt.Printf("\n## Start-up: first answered scrape and /-/ready, from process start\n\n| entries | first scrape | ready |\n|---|---|---|\n%s\n",
		strings.Join(starts, "\n"))
	if skipProbes {
		return nil
	}
	_, s, stop, err := startBenchStack(ctx)
	if err != nil {
		return err
	}
	defer stop()
	results, err := benchProbes(ctx, bin, floorSrc, sslBin, s, probes, probeRounds)
	if err != nil {
		return err
	}
	printProbes(results, probes, probeRounds, sslBin != "")
	const live, dead, timeout = 450, 50, 2 * time.Second
	took, ok, err := benchManyTargets(ctx, bin, s, live, dead, timeout)
	if err != nil {
		return err
	}
	fmt.Printf("\n## One scrape of %d targets, %d of them dead (accept, never answer), target timeout %s\n\n", live+dead, dead, timeout)
	fmt.Printf("| scrape wall | probes succeeded |\n|---|---|\n| %s | %d of %d |\n", ms(took), ok, live+dead)
	return nil
}

// runScale measures and prints the scaling row over n entries.
func runScale(ctx context.Context, bin string, n, scrapes int) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	r, err := benchScale(ctx, bin, n, scrapes)
	if err != nil {
		return fmt.Errorf("scale, %d entries: %w", n, err)
	}
	printScale(r, scrapes)
	return nil
}

// peersOf lists the peers whose binaries are given.
func peersOf(x509Bin, sslBin string) []peer {
	var out []peer
	if x509Bin != "" {
		out = append(out, peer{name: "x509-certificate-exporter", path: func(string) string { return "/metrics" }, ready: "/metrics",
			argv: func(crtDir, listen string) []string {
				return []string{x509Bin, "--watch-dir=" + crtDir, "--listen-address=" + listen}
			}})
	}
	if sslBin != "" {
		out = append(out, peer{name: "ssl_exporter (file prober)", ready: "/",
			path: func(crtDir string) string {
				return "/probe?module=file&target=" + url.QueryEscape(filepath.Join(crtDir, "*.crt"))
			},
			argv: func(crtDir, listen string) []string {
				return []string{sslBin, "--web.listen-address=" + listen, "--config.file=" + sslConfig(crtDir)}
			}})
	}
	return out
}

// sslConfig writes ssl_exporter's configuration, one file module, next to
// crtDir and returns its path.
func sslConfig(crtDir string) string {
	path := filepath.Join(filepath.Dir(crtDir), "ssl_exporter.yml")
	_ = os.WriteFile(path, []byte("modules:\n  file:\n    prober: file\n"), 0o644)
	return path
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
