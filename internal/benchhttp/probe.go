package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

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

// startBenchStack writes certificates into a new folder and starts a TLS
// PostgreSQL with PgBouncer in front on them; stop stops both and removes
// the folder, which the caller may write into meanwhile.
func startBenchStack(ctx context.Context) (dir string, s *testenv.Stack, stop func(), err error) {
	if dir, err = os.MkdirTemp("", "pgtls-benchstack-"); err != nil {
		return "", nil, nil, err
	}
	certs, err := writeStackCerts(dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, nil, err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if s, err = testenv.Start(ctx, testenv.Options{Certs: certs, WithPgBouncer: true, Log: quiet}); err != nil {
		os.RemoveAll(dir)
		return "", nil, nil, fmt.Errorf("start PostgreSQL and PgBouncer: %w", err)
	}
	return dir, s, func() { s.Close(); os.RemoveAll(dir) }, nil
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
