package tlsscan

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// testsslVersions are testssl.sh's ids of the protocol versions.
func testsslVersions() map[string]string {
	return map[string]string{"SSLv3": "SSLv3", "TLS1": "TLSv1", "TLS1_1": "TLSv1.1", "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}
}

// testsslCipherPrefixes map testssl.sh's cipher ids ("cipher-tls1_2_xc02c")
// to the version they belong to.
func testsslCipherPrefixes() map[string]string {
	return map[string]string{"cipher-ssl3_x": "SSLv3", "cipher-tls1_x": "TLSv1", "cipher-tls1_1_x": "TLSv1.1",
		"cipher-tls1_2_x": "TLSv1.2", "cipher-tls1_3_x": "TLSv1.3"}
}

// compareWithTestssl runs `testssl --starttls postgres -p -E` on addr and
// requires its versions and, per version, its suites to be the scan's.
func compareWithTestssl(t *testing.T, addr string, res *Result) {
	t.Helper()
	if _, err := exec.LookPath("testssl"); err != nil {
		testenv.SkipOrFatal(t, "testssl is not installed (Debian package testssl.sh): %v", err)
	}
	out := filepath.Join(t.TempDir(), "testssl.json")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "testssl", "--quiet", "--color", "0", "--warnings", "off", "--jsonfile", out,
		"--starttls", "postgres", "-p", "-E", addr)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("testssl: %v\n%s", err, b)
	}
	took := time.Since(start)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var entries []struct{ ID, Finding string }
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatalf("testssl's JSON: %v", err)
	}
	versions, suites := map[string]bool{}, map[string][]uint16{}
	for _, e := range entries {
		if name, ok := testsslVersions()[e.ID]; ok {
			versions[name] = strings.HasPrefix(e.Finding, "offered")
		}
		for prefix, name := range testsslCipherPrefixes() {
			if hex, ok := strings.CutPrefix(e.ID, prefix); ok && !strings.Contains(hex, "_") {
				id, err := strconv.ParseUint(hex, 16, 16)
				if err != nil {
					t.Fatalf("testssl cipher id %q: %v", e.ID, err)
				}
				suites[name] = append(suites[name], uint16(id))
			}
		}
	}
	for _, vr := range res.Versions {
		if versions[vr.Version.Name] != vr.Accepted {
			t.Errorf("%s: scan says accepted %v, testssl %v", vr.Version.Name, vr.Accepted, versions[vr.Version.Name])
		}
		var got []uint16
		for _, s := range vr.Suites {
			got = append(got, s.ID)
		}
		want := suites[vr.Version.Name]
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s suites: scan %x, testssl %x", vr.Version.Name, got, want)
		}
	}
	t.Logf("testssl took %s; the scan %s (%d handshakes)", took.Round(time.Millisecond), res.Duration.Round(time.Millisecond), res.Handshakes)
}
