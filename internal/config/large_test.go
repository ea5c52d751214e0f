package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// largeEntries is the size of a large estate's configuration.
const largeEntries = 100_000

// largeConfig is a configuration of n certificates entries, each with
// files of its own; with merge, every entry after the first merges the
// first's keys (<<: *first), so aliases are followed n-1 times.
func largeConfig(n int, merge bool) []byte {
	var b strings.Builder
	b.WriteString("ca: {cert: ca.crt}\ncertificates:\n")
	for i := range n {
		name := fmt.Sprintf("svc%06d", i)
		switch {
		case merge && i == 0:
			fmt.Fprintf(&b, "  - &first {name: %s, cert: crt/%s.crt, key: key/%s.key, expected_names: [db, db.internal, 10.0.0.1]}\n", name, name, name)
		case merge:
			fmt.Fprintf(&b, "  - {<<: *first, name: %s, cert: crt/%s.crt, key: key/%s.key}\n", name, name, name)
		default:
			fmt.Fprintf(&b, "  - {name: %s, cert: crt/%s.crt, key: key/%s.key, expected_names: [%s, %s.internal]}\n", name, name, name, name, name)
		}
	}
	return []byte(b.String())
}

func TestLoadLargeConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yml")
	data := largeConfig(largeEntries, false)
	if len(data) <= 4<<20 {
		t.Fatalf("the configuration is only %d bytes", len(data))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cfg.Certificates); n != largeEntries || cfg.Certificates[n-1].Name != "svc099999" {
		t.Fatalf("%d entries", n)
	}
}

// TestParseLargeConfigWithMerges: a merge in every entry expands to
// more nodes than minAliasVisits, and is no alias bomb.
func TestParseLargeConfigWithMerges(t *testing.T) {
	cfg, err := Parse(largeConfig(largeEntries, true), "/x")
	if err != nil {
		t.Fatal(err)
	}
	last := cfg.Certificates[largeEntries-1]
	if last.Name != "svc099999" || last.Cert != "crt/svc099999.crt" || strings.Join(last.ExpectedNames, ",") != "db,db.internal,10.0.0.1" {
		t.Fatalf("last entry %+v", last)
	}
}

func TestLoadRefusesConfigOverTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, regfile.MaxConfig+1); err != nil { // sparse: nothing is written
		t.Fatal(err)
	}
	want := fmt.Sprintf("read config file: read %s: file too large: larger than 67108864 bytes", path)
	if _, err := Load(path); err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}
