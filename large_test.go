package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// largeEstate is the number of entries of a large estate's configuration.
const largeEstate = 100_000

// writeLargeConfig writes a configuration of n entries whose files all
// exist. Each entry names files of its own path (the configuration
// refuses one file in two entries), all of them the one certificate and
// key of writeCertSet: the folder tree holds ten links, 0 to 9, to
// itself, so tree/1/2/3/4/5/pg.crt is tree/pg.crt.
func writeLargeConfig(t *testing.T, n int) string {
	t.Helper()
	dir := writeCertSet(t)
	tree := filepath.Join(dir, "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pg.crt", "pg.key"} {
		if err := os.Rename(filepath.Join(dir, f), filepath.Join(tree, f)); err != nil {
			t.Fatal(err)
		}
	}
	for d := range 10 {
		if err := os.Symlink(".", filepath.Join(tree, fmt.Sprint(d))); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	b.WriteString("ca: {cert: ca.crt}\ncertificates:\n")
	for i := range n {
		p := "tree/" + strings.Join(strings.Split(fmt.Sprintf("%05d", i), ""), "/")
		fmt.Fprintf(&b, "  - {name: pg%05d, cert: %s/pg.crt, key: %s/pg.key, expected_names: [postgres]}\n", i, p, p)
	}
	return testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), []byte(b.String()), 0o644)
}

// TestLargeEstate: a configuration of 100,000 entries (over 4 MiB, and
// far more YAML nodes than an alias may expand to) passes --config.check,
// and serve starts with it.
func TestLargeEstate(t *testing.T) {
	cfg := writeLargeConfig(t, largeEstate)
	if code, stdout, stderr := runStreams(t, "--config.file="+cfg, "--config.check"); code != 0 || stdout != cfg+": configuration is valid\n" {
		t.Fatalf("--config.check: exit %d\n%s%s", code, stdout, stderr)
	}

	addr := serveExporter(t, cfg)
	if resp, err := http.Get("http://" + addr + "/-/healthy"); err != nil || resp.Body.Close() != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/-/healthy: %v", err)
	}
}
