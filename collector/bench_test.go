package collector

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// benchFiles is how many certificate files the scrape benchmarks read:
// half ECDSA P-256, half RSA-2048, one certificate per file.
const benchFiles = 10000

type benchSet struct {
	dir   string
	cfg   *config.Config
	paths []string
}

// benchSets holds one file set per CA key type, written once per process.
var benchSets sync.Map // testcerts.KeyType -> benchSet

// fixture writes the benchmark's files, signed by a CA of type caKey, once
// per process. Leaf keys come from a small pool (generating 5,000 RSA keys
// would take minutes); every certificate is distinct.
func fixture(b *testing.B, caKey testcerts.KeyType) benchSet {
	if set, ok := benchSets.Load(caKey); ok {
		return set.(benchSet)
	}
	{
		dir, err := os.MkdirTemp("", "pgtls-bench")
		if err != nil {
			b.Fatal(err)
		}
		ca := testcerts.Issue(b, nil, testcerts.Options{CommonName: "Bench CA", IsCA: true, KeyType: caKey,
			NotAfter: time.Now().AddDate(10, 0, 0)})
		testcerts.WriteFile(b, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
		var keys []crypto.Signer
		for i := 0; i < 4; i++ {
			keys = append(keys, testcerts.NewKey(b, testcerts.ECDSAP256), testcerts.NewKey(b, testcerts.RSA2048))
		}
		var yml strings.Builder
		yml.WriteString("ca: {cert: ca.crt}\ncertificates:\n")
		var paths []string
		for i := 0; i < benchFiles; i++ {
			name := fmt.Sprintf("svc%05d", i)
			is := testcerts.Issue(b, ca, testcerts.Options{CommonName: name, DNSNames: []string{name, "localhost"}, Key: keys[i%len(keys)]})
			p := testcerts.WriteFile(b, filepath.Join(dir, name+".crt"), is.CertPEM, 0o644)
			paths = append(paths, p)
			fmt.Fprintf(&yml, "  - {name: %s, cert: %s.crt, expected_names: [%s]}\n", name, name, name)
		}
		cfg, err := config.Parse([]byte(yml.String()), dir)
		if err != nil {
			b.Fatal(err)
		}
		benchSets.Store(caKey, benchSet{dir: dir, cfg: cfg, paths: paths})
	}
	set, _ := benchSets.Load(caKey)
	return set.(benchSet)
}

// caKinds are the CA key types the scrape benchmarks run with: verifying a
// leaf costs one signature check with the CA's key.
var caKinds = []struct {
	name string
	key  testcerts.KeyType
}{{"ca=ecdsa-p256", testcerts.ECDSAP256}, {"ca=rsa-2048", testcerts.RSA2048}}

func drain(b *testing.B, s Source) int {
	ch := make(chan prometheus.Metric, 1024)
	done := make(chan int)
	go func() {
		n := 0
		for range ch {
			n++
		}
		done <- n
	}()
	if err := s.Update(context.Background(), ch); err != nil {
		b.Fatal(err)
	}
	close(ch)
	return <-done
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// readAndParse is the standard library's way to load one certificate file.
func readAndParse(b *testing.B, path string) *x509.Certificate {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	block, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	return cert
}

// BenchmarkStdlibFloor reads and parses every file with the standard
// library alone: the floor a cold scrape is compared with.
func BenchmarkStdlibFloor(b *testing.B) {
	set := fixture(b, testcerts.ECDSAP256)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range set.paths {
			readAndParse(b, p)
		}
	}
}

// BenchmarkStdlibFloorWithVerify adds the standard library's chain
// verification to the floor: the same signature checks a cold scrape makes.
func BenchmarkStdlibFloorWithVerify(b *testing.B) {
	for _, kind := range caKinds {
		b.Run(kind.name, func(b *testing.B) {
			set := fixture(b, kind.key)
			caPEM, err := os.ReadFile(filepath.Join(set.dir, "ca.crt"))
			if err != nil {
				b.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM(caPEM)
			opts := x509.VerifyOptions{Roots: roots}
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range set.paths {
					if _, err := readAndParse(b, p).Verify(opts); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkColdScrape is a first scrape: every file read, parsed, verified
// and turned into metrics. heap-MB is the live heap after the scrape.
func BenchmarkColdScrape(b *testing.B) {
	for _, kind := range caKinds {
		b.Run(kind.name, func(b *testing.B) {
			set := fixture(b, kind.key)
			b.ReportAllocs()
			var files *Files
			for b.Loop() {
				files = NewFiles(inspect.New(set.cfg, 0), rules.PolicyOf(set.cfg), quiet)
				drain(b, files)
			}
			b.StopTimer()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
			runtime.KeepAlive(files)
		})
	}
}

// BenchmarkWarmScrape is a scrape over unchanged files: a stat per file,
// cached metrics.
func BenchmarkWarmScrape(b *testing.B) {
	set := fixture(b, testcerts.ECDSAP256)
	files := NewFiles(inspect.New(set.cfg, 0), rules.PolicyOf(set.cfg), quiet)
	if n := drain(b, files); n < benchFiles*5 {
		b.Fatalf("only %d metrics", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		drain(b, files)
	}
}

// BenchmarkWarmScrapeExposition adds what a /metrics request does on top:
// gathering through a registry and writing the text format.
func BenchmarkWarmScrapeExposition(b *testing.B) {
	set := fixture(b, testcerts.ECDSAP256)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewExporter(quiet, NewFiles(inspect.New(set.cfg, 0), rules.PolicyOf(set.cfg), quiet)))
	if _, err := reg.Gather(); err != nil { // the cold scrape, not measured here
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		mfs, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		enc := expfmt.NewEncoder(io.Discard, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
