package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// probeResult is CPU per /probe request of the exporter and of the floor,
// against one server.
type probeResult struct {
	target        string
	cpu, floorCPU time.Duration
}

// writeStackCerts writes a CA and certificates for PostgreSQL and
// PgBouncer that cover localhost and 127.0.0.1.
func writeStackCerts(dir string) (testenv.CertFiles, error) {
	f := testenv.CertFiles{CA: filepath.Join(dir, "ca.crt"), PostgresCert: filepath.Join(dir, "pg.crt"),
		PostgresKey: filepath.Join(dir, "pg.key"), PgBouncerCert: filepath.Join(dir, "pgb.crt"), PgBouncerKey: filepath.Join(dir, "pgb.key")}
	caKey, err := issue.GenerateKey(issue.ECDSAP256)
	if err != nil {
		return f, err
	}
	now := time.Now()
	ca, err := issue.Sign(issue.Request{CommonName: "Bench CA", IsCA: true, NotBefore: now.Add(-time.Hour),
		NotAfter: now.AddDate(1, 0, 0), Public: caKey.Public()}, nil, caKey)
	if err != nil {
		return f, err
	}
	if err := os.WriteFile(f.CA, issue.EncodeCertificate(ca), 0o644); err != nil {
		return f, err
	}
	for _, pair := range [][2]string{{f.PostgresCert, f.PostgresKey}, {f.PgBouncerCert, f.PgBouncerKey}} {
		k, err := issue.GenerateKey(issue.ECDSAP256)
		if err != nil {
			return f, err
		}
		dns, ips := issue.SplitNames([]string{"localhost", "127.0.0.1"})
		c, err := issue.Sign(issue.Request{CommonName: "localhost", DNSNames: dns, IPAddresses: ips,
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), Public: k.Public()}, ca, caKey)
		if err != nil {
			return f, err
		}
		keyPEM, err := issue.EncodeKey(k, issue.PKCS8)
		if err != nil {
			return f, err
		}
		if err := os.WriteFile(pair[0], issue.EncodeCertificate(c), 0o644); err != nil {
			return f, err
		}
		if err := os.WriteFile(pair[1], keyPEM, 0o600); err != nil {
			return f, err
		}
	}
	return f, nil
}

// benchProbes compares CPU per /probe of the exporter with the floor's,
// against the real PostgreSQL and PgBouncer of s, in alternating rounds.
func benchProbes(ctx context.Context, bin, floorSrc string, s *testenv.Stack, requests, rounds int) ([]probeResult, error) {
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
	ports := [2]*testenv.Port{}
	for i := range ports {
		if ports[i], err = testenv.ReservePort(); err != nil {
			return nil, err
		}
		defer ports[i].Release()
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", ports[0].Number)
	exp, err := start(ctx, "pgtls_exporter", base, "/-/healthy", bin, "--config.file="+cfg,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", ports[0].Number), "--log.level=warn")
	if err != nil {
		return nil, err
	}
	defer exp.stop()
	floorBase := fmt.Sprintf("http://127.0.0.1:%d", ports[1].Number)
	floor, err := start(ctx, "httpfloor", floorBase, "/probe?target="+s.PostgresAddr(), floorBin, "-ca", s.Certs().CA,
		"-servername", "localhost", "-listen", fmt.Sprintf("127.0.0.1:%d", ports[1].Number))
	if err != nil {
		return nil, err
	}
	defer floor.stop()
	var out []probeResult
	for _, t := range []struct{ name, addr string }{{"postgres", s.PostgresAddr()}, {"pgbouncer", s.PgBouncerAddr()}} {
		r := probeResult{target: t.name}
		for range rounds {
			c, err := probeRound(ctx, exp, base+"/probe?target="+t.name, "pgtls_probe_success{target=\""+t.name+"\"} 1", requests)
			if err != nil {
				return nil, err
			}
			r.cpu += c
			if c, err = probeRound(ctx, floor, floorBase+"/probe?target="+t.addr, "probe_success 1", requests); err != nil {
				return nil, err
			}
			r.floorCPU += c
		}
		total := time.Duration(requests * rounds)
		r.cpu, r.floorCPU = r.cpu/total, r.floorCPU/total
		out = append(out, r)
	}
	return out, nil
}

// probeRound sends k sequential probes (after one unmeasured) that must
// answer with want, and returns the CPU the process spent on them.
func probeRound(ctx context.Context, p *process, url, want string, k int) (time.Duration, error) {
	if _, _, err := get(ctx, url, nil); err != nil {
		return 0, err
	}
	before, err := p.cpu()
	if err != nil {
		return 0, err
	}
	for range k {
		code, body, err := get(ctx, url, nil)
		if err != nil || code != http.StatusOK || !strings.Contains(string(body), want) {
			return 0, fmt.Errorf("%s: %d %v\n%s", url, code, err, body)
		}
	}
	after, err := p.cpu()
	return after - before, err
}

// benchManyTargets scrapes an exporter with live targets and dead ones
// (they accept and never answer) and returns the scrape's wall time and
// how many probes succeeded.
func benchManyTargets(ctx context.Context, bin string, s *testenv.Stack, live, dead int, targetTimeout time.Duration) (time.Duration, int, error) {
	dir, err := os.MkdirTemp("", "pgtls-benchtargets-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	var yml strings.Builder
	fmt.Fprintf(&yml, "ca: {cert: %s}\nprobe: {timeout: %s}\ntargets:\n", s.Certs().CA, targetTimeout)
	for i := range live {
		addr := s.PostgresAddr()
		if i%2 == 1 {
			addr = s.PgBouncerAddr()
		}
		fmt.Fprintf(&yml, "  - {name: live%03d, address: %q, server_name: localhost}\n", i, addr)
	}
	for i := range dead {
		l, err := net.Listen("tcp", "127.0.0.1:0") // held open for the run: it accepts and never answers
		if err != nil {
			return 0, 0, err
		}
		defer l.Close()
		go holdConnections(l)
		fmt.Fprintf(&yml, "  - {name: dead%03d, address: %q, server_name: localhost}\n", i, l.Addr().String())
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(yml.String()), 0o644); err != nil {
		return 0, 0, err
	}
	port, err := testenv.ReservePort()
	if err != nil {
		return 0, 0, err
	}
	defer port.Release()
	base := fmt.Sprintf("http://127.0.0.1:%d", port.Number)
	exp, err := start(ctx, "pgtls_exporter", base, "/-/healthy", bin, "--config.file="+cfg,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port.Number), "--log.level=error")
	if err != nil {
		return 0, 0, err
	}
	defer exp.stop()
	t0 := time.Now()
	_, body, err := get(ctx, base+"/metrics", prometheusHeaders(10*time.Second))
	if err != nil {
		return 0, 0, err
	}
	took := time.Since(t0)
	ok := 0
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "pgtls_probe_success{") && strings.HasSuffix(line, "} 1") {
			ok++
		}
	}
	return took, ok, nil
}

// holdConnections accepts connections and keeps them open, unanswered,
// until the listener closes.
func holdConnections(l net.Listener) {
	var held []net.Conn
	defer func() {
		for _, c := range held {
			_ = c.Close()
		}
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		held = append(held, c)
	}
}
