package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// cpuTime is the CPU time this process's threads have run so far, from the
// scheduler's nanosecond accounting (/proc/self/task/*/schedstat), which is
// exact where getrusage samples at tick granularity.
func cpuTime(b *testing.B) time.Duration {
	tasks, err := filepath.Glob("/proc/self/task/*/schedstat")
	if err != nil || len(tasks) == 0 {
		b.Fatalf("no schedstat: %v", err)
	}
	var total int64
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue // the thread exited
		}
		fields := strings.Fields(string(raw))
		ns, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			b.Fatalf("parse %s: %v", t, err)
		}
		total += ns
	}
	return time.Duration(total)
}

// measureCPU runs body b.N times and reports CPU per operation.
func measureCPU(b *testing.B, body func()) {
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		body()
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

func benchStack(b *testing.B) (*testenv.Stack, *testenv.TestCerts) {
	tc := testenv.WriteTestCerts(b, filepath.Join(b.TempDir(), "certs"))
	return testenv.StartT(b, testenv.Options{Certs: tc.Files, WithPgBouncer: true}), tc
}

// BenchmarkProbeRequest is one /probe request against the real servers,
// served in-process (no HTTP socket).
func BenchmarkProbeRequest(b *testing.B) {
	s, tc := benchStack(b)
	f := tc.Files
	cfgPath := testcerts.WriteFile(b, filepath.Join(b.TempDir(), "config.yml"), []byte(fmt.Sprintf(`
ca: {cert: %s}
certificates:
  - {name: postgres, cert: %s}
  - {name: pgbouncer, cert: %s}
targets:
  - {name: postgres, address: %q, server_name: db, certificate: postgres}
  - {name: pgbouncer, address: %q, server_name: pgbouncer, certificate: pgbouncer}
`, f.CA, f.PostgresCert, f.PgBouncerCert, s.PostgresAddr(), s.PgBouncerAddr())), 0o644)
	srv, err := New(Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		DefaultScrapeTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	for _, target := range []string{"postgres", "pgbouncer"} {
		b.Run(target, func(b *testing.B) {
			measureCPU(b, func() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/probe?target="+target, nil))
				if !strings.Contains(rec.Body.String(), "pgtls_probe_verify_success{target=\""+target+"\"} 1") {
					b.Fatalf("probe failed:\n%s", rec.Body.String())
				}
			})
		})
	}
}

// BenchmarkBareHandshake is the floor: dial, SSLRequest, and a crypto/tls
// handshake with standard verification, nothing else.
func BenchmarkBareHandshake(b *testing.B) {
	s, tc := benchStack(b)
	roots := x509.NewCertPool()
	roots.AddCert(tc.CA.Cert)
	for _, c := range []struct{ name, addr, serverName string }{
		{"postgres", s.PostgresAddr(), "db"}, {"pgbouncer", s.PgBouncerAddr(), "pgbouncer"},
	} {
		b.Run(c.name, func(b *testing.B) {
			measureCPU(b, func() { bareHandshake(b, c.addr, &tls.Config{RootCAs: roots, ServerName: c.serverName}) })
		})
	}
}

func bareHandshake(b *testing.B, addr string, cfg *tls.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte{0, 0, 0, 8, 4, 210, 22, 47}); err != nil {
		b.Fatal(err)
	}
	reply := make([]byte, 1)
	if _, err := io.ReadFull(conn, reply); err != nil || reply[0] != 'S' {
		b.Fatalf("SSLRequest reply %q: %v", reply, err)
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		b.Fatal(err)
	}
	_ = tc.Close()
}

// BenchmarkScrape50Targets scrapes 40 live targets and 10 dead ones (they
// accept the connection and never answer) with a 1s probe timeout: the
// scrape should take the dead targets' timeout plus little.
func BenchmarkScrape50Targets(b *testing.B) {
	s, tc := benchStack(b)
	var yml strings.Builder
	fmt.Fprintf(&yml, "ca: {cert: %s}\ncertificates:\n  - {name: postgres, cert: %s}\ntargets:\n", tc.Files.CA, tc.Files.PostgresCert)
	for i := 0; i < 40; i++ {
		addr, name := s.PostgresAddr(), "db"
		if i%2 == 1 {
			addr, name = s.PgBouncerAddr(), "pgbouncer"
		}
		fmt.Fprintf(&yml, "  - {name: live%02d, address: %q, server_name: %s}\n", i, addr, name)
	}
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&yml, "  - {name: dead%02d, address: %q}\n", i, blackhole(b))
	}
	yml.WriteString("probe: {timeout: 1s}\n")
	cfgPath := testcerts.WriteFile(b, filepath.Join(b.TempDir(), "config.yml"), []byte(yml.String()), 0o644)
	srv, err := New(Options{ConfigFile: cfgPath, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		DefaultScrapeTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	exp := srv.current().exporter
	b.ResetTimer()
	for b.Loop() {
		ch := make(chan prometheus.Metric, 4096)
		exp.CollectContext(context.Background(), ch)
		close(ch)
		live, dead := 0, 0
		for m := range ch {
			v, ok := probeSuccess(b, m)
			switch {
			case !ok:
			case v == 1:
				live++
			default:
				dead++
			}
		}
		if live != 40 || dead != 10 {
			b.Fatalf("live %d dead %d", live, dead)
		}
	}
}

// blackhole listens on a loopback port, accepts connections and never
// answers; it stops with the benchmark.
func blackhole(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	b.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return l.Addr().String()
}

// probeSuccess returns the value of a pgtls_probe_success metric.
func probeSuccess(b *testing.B, m prometheus.Metric) (float64, bool) {
	if !strings.Contains(m.Desc().String(), `"pgtls_probe_success"`) {
		return 0, false
	}
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		b.Fatal(err)
	}
	return pb.GetGauge().GetValue(), true
}
