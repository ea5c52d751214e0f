package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// probeMode is how the servers under test get their CPUs.
type probeMode struct {
	name string
	// cpu, when set, is the one CPU every server under test is started on
	// (taskset), as a container with a one-CPU limit runs it (GOMAXPROCS 1).
	// They share it, one after another: the rounds never overlap.
	cpu string
}

// prober is a server answering /probe: the exporter, the floor or a peer.
type prober struct {
	name string
	argv func(listen string) []string
	// url is the probe of the target named name at addr; a success
	// answers with a body that contains want(name).
	url  func(base, name, addr string) string
	want func(name string) string
}

// leg is what requests cost a server: its CPU and context switches, and
// the lines PostgreSQL and PgBouncer logged for them.
type leg struct {
	cpu      time.Duration
	switches int64
	logged   int
}

func (l leg) add(o leg) leg {
	return leg{cpu: l.cpu + o.cpu, switches: l.switches + o.switches, logged: l.logged + o.logged}
}

// probeResult compares the servers' /probe against one target in one
// mode: per server (in the order given, the exporter first and the floor
// second) the totals of all rounds.
type probeResult struct {
	target, mode string
	requests     int
	legs         []leg
	// low and high bound the middle half of the rounds' ratios of the
	// exporter's CPU to the floor's.
	low, high float64
}

// per returns a server's CPU, context switches and log lines per request.
func (r probeResult) per(i int) (time.Duration, float64, float64) {
	n := float64(r.requests)
	return r.legs[i].cpu / time.Duration(r.requests), float64(r.legs[i].switches) / n, float64(r.legs[i].logged) / n
}

// benchProbes compares /probe of the exporter with the floor's (and
// ssl_exporter's tcp prober, when sslBin is set), against the real
// PostgreSQL and PgBouncer of s, in rounds of requests that rotate which
// server goes first, in each mode.
func benchProbes(ctx context.Context, bin, floorSrc, sslBin string, s *testenv.Stack, requests, rounds int) ([]probeResult, error) {
	dir, err := os.MkdirTemp("", "pgtls-benchprobe-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	floorBin := filepath.Join(dir, "httpfloor")
	build := exec.CommandContext(ctx, "go", "build", "-o", floorBin, ".")
	build.Dir = floorSrc
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the /probe floor in %s: %w\n%s", floorSrc, err, out)
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`ca: {cert: %s}
targets:
  - {name: postgres, address: %q, server_name: localhost}
  - {name: pgbouncer, address: %q, server_name: localhost}
`, s.Certs().CA, s.PostgresAddr(), s.PgBouncerAddr())), 0o644); err != nil {
		return nil, err
	}
	servers := []prober{{
		name: "pgtls_exporter",
		argv: func(listen string) []string {
			return []string{bin, "--config.file=" + cfg, "--web.listen-address=" + listen, "--log.level=warn"}
		},
		url:  func(base, name, _ string) string { return base + "/probe?target=" + name },
		want: func(name string) string { return "pgtls_probe_success{target=\"" + name + "\"} 1" },
	}, {
		name: "floor",
		argv: func(listen string) []string {
			return []string{floorBin, "-ca", s.Certs().CA, "-servername", "localhost", "-listen", listen}
		},
		url:  func(base, _, addr string) string { return base + "/probe?target=" + addr },
		want: func(string) string { return "probe_success 1" },
	}}
	if sslBin != "" {
		sslCfg := filepath.Join(dir, "ssl_exporter.yml")
		if err := os.WriteFile(sslCfg, []byte(fmt.Sprintf(`modules:
  postgres:
    prober: tcp
    tcp: {starttls: postgres}
    tls_config: {ca_file: %s, server_name: localhost}
`, s.Certs().CA)), 0o644); err != nil {
			return nil, err
		}
		servers = append(servers, prober{
			name: "ssl_exporter",
			argv: func(listen string) []string {
				return []string{sslBin, "--web.listen-address=" + listen, "--config.file=" + sslCfg}
			},
			url: func(base, _, addr string) string {
				return base + "/probe?module=postgres&target=" + url.QueryEscape(addr)
			},
			want: func(string) string { return "ssl_probe_success 1" },
		})
	}
	modes := []probeMode{{name: fmt.Sprintf("%d shared", runtime.NumCPU())}}
	if cpu, ok := lastAllowedCPU(); ok && runtime.NumCPU() > 1 {
		modes = append(modes, probeMode{name: "1 pinned", cpu: strconv.Itoa(cpu)})
	}
	var out []probeResult
	for _, mode := range modes {
		rs, err := benchProbeMode(ctx, mode, servers, s, requests, rounds)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// benchProbeMode starts the servers in mode and compares them on each target.
func benchProbeMode(ctx context.Context, mode probeMode, servers []prober, s *testenv.Stack, requests, rounds int) ([]probeResult, error) {
	var pin []string
	if mode.cpu != "" {
		pin = []string{"taskset", "-c", mode.cpu}
	}
	procs := make([]*process, len(servers))
	for i, sv := range servers {
		port, err := testenv.ReservePort()
		if err != nil {
			return nil, err
		}
		defer port.Release()
		listen := fmt.Sprintf("127.0.0.1:%d", port.Number)
		ready := sv.url("", "postgres", s.PostgresAddr())
		p, err := start(ctx, sv.name, "http://"+listen, ready, append(pin, sv.argv(listen)...)...)
		if err != nil {
			return nil, err
		}
		defer p.stop()
		procs[i] = p
	}
	var out []probeResult
	for _, t := range []struct{ name, addr string }{{"postgres", s.PostgresAddr()}, {"pgbouncer", s.PgBouncerAddr()}} {
		r := probeResult{target: t.name, mode: mode.name, requests: requests * rounds, legs: make([]leg, len(servers))}
		var ratios []float64
		for round := range rounds {
			legs := make([]leg, len(servers))
			for k := range servers {
				i := (round + k) % len(servers) // who goes first rotates
				sv, p := servers[i], procs[i]
				l, err := probeRound(ctx, p, s, sv.url(p.base, t.name, t.addr), sv.want(t.name), requests)
				if err != nil {
					return nil, err
				}
				legs[i] = l
				r.legs[i] = r.legs[i].add(l)
			}
			ratios = append(ratios, ratio(legs[0].cpu, legs[1].cpu))
		}
		slices.Sort(ratios)
		r.low, r.high = ratios[len(ratios)/4], ratios[(3*len(ratios)-1)/4]
		out = append(out, r)
	}
	return out, nil
}

// probeRound sends k sequential probes (after one unmeasured) that must
// answer with want, and returns what they cost the process and how many
// lines PostgreSQL and PgBouncer logged for them.
func probeRound(ctx context.Context, p *process, s *testenv.Stack, url, want string, k int) (leg, error) {
	if _, _, err := get(ctx, url, nil); err != nil {
		return leg{}, err
	}
	time.Sleep(logSettle) // what the servers log for the unmeasured probe
	logs, err := serverLogs(s)
	if err != nil {
		return leg{}, err
	}
	cpu0, err := p.cpu()
	if err != nil {
		return leg{}, err
	}
	sw0, err := p.switches()
	if err != nil {
		return leg{}, err
	}
	for range k {
		code, body, err := get(ctx, url, nil)
		if err != nil || code != http.StatusOK || !strings.Contains(string(body), want) {
			return leg{}, fmt.Errorf("%s: %d %v\n%s", url, code, err, body)
		}
	}
	cpu1, err := p.cpu()
	if err != nil {
		return leg{}, err
	}
	sw1, err := p.switches()
	if err != nil {
		return leg{}, err
	}
	time.Sleep(logSettle) // a server logs a closed connection a moment later
	after, err := serverLogs(s)
	if err != nil {
		return leg{}, err
	}
	logged := complaints(after[0][len(logs[0]):]) + complaints(after[1][len(logs[1]):])
	return leg{cpu: cpu1 - cpu0, switches: sw1 - sw0, logged: logged}, nil
}

// logSettle is how long a round waits for the servers' last log lines.
const logSettle = 50 * time.Millisecond

// lastAllowedCPU is the highest-numbered CPU this process may run on,
// which is where the servers under test are pinned.
func lastAllowedCPU() (int, bool) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0, false
	}
	for cpu := 8*int(unsafe.Sizeof(set)) - 1; cpu >= 0; cpu-- {
		if set.IsSet(cpu) {
			return cpu, true
		}
	}
	return 0, false
}

// serverLogs are PostgreSQL's log and PgBouncer's.
func serverLogs(s *testenv.Stack) ([2]string, error) {
	pg, err := s.PostgresLog()
	if err != nil {
		return [2]string{}, err
	}
	bouncer, err := s.PgBouncerLog()
	return [2]string{pg, bouncer}, err
}

// complaints counts the lines of log other than the ones any connection
// makes (testenv.RoutineLogLine).
func complaints(log string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		if line != "" && !testenv.RoutineLogLine(line) {
			n++
		}
	}
	return n
}

// printProbes prints the /probe comparison as a Markdown table.
func printProbes(results []probeResult, requests, rounds int, withPeer bool) {
	fmt.Printf("\n## /probe, per request (%d rounds of %d sequential requests each, rotating)\n\n", rounds, requests)
	fmt.Println("CPUs: the servers under test share the machine's CPUs with the client and the databases, or are pinned to one CPU, taking turns (as under a one-CPU container limit).")
	fmt.Println("Log lines: what PostgreSQL and PgBouncer logged per 100 probes, beyond log_connections.")
	fmt.Println()
	head, rule := "| target | CPUs | exporter CPU | floor CPU | ratio | middle half of rounds | context switches | log lines |", "|---|---|---|---|---|---|---|---|"
	if withPeer {
		head, rule = head+" ssl_exporter CPU | ssl_exporter log lines |", rule+"---|---|"
	}
	fmt.Println(head)
	fmt.Println(rule)
	for _, r := range results {
		cpu, sw, logged := r.per(0)
		floorCPU, floorSw, floorLogged := r.per(1)
		fmt.Printf("| %s | %s | %s | %s | %.2f× | %.2f–%.2f× | %.1f vs %.1f | %.0f vs %.0f |", r.target, r.mode,
			us(cpu), us(floorCPU), ratio(cpu, floorCPU), r.low, r.high, sw, floorSw, 100*logged, 100*floorLogged)
		if withPeer {
			peerCPU, _, peerLogged := r.per(2)
			fmt.Printf(" %s (%.2f×) | %.0f |", us(peerCPU), ratio(peerCPU, floorCPU), 100*peerLogged)
		}
		fmt.Println()
	}
}
