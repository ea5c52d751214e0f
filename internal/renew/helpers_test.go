package renew

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// fixture is a folder with a config file and, optionally, a CA and
// entries in the reference layout.
type fixture struct {
	dir, cfgPath string
	ca           *testcerts.Issued
}

// entryNames are the fixture's certificate entries.
var entryNames = []string{"pgbouncer", "postgres"}

// baseConfig is the fixture's config without renew or targets.
const baseConfig = `ca: {cert: certs/ca/ca.crt, key: certs/ca/ca.key}
certificates:
  - name: pgbouncer
    cert: certs/pgbouncer.crt
    key: certs/pgbouncer.key
    combined: certs/pgbouncer-combined.pem
    expected_names: [pgbouncer, localhost, 127.0.0.1]
  - name: postgres
    cert: certs/postgres.crt
    key: certs/postgres.key
    combined: certs/postgres-combined.pem
    expected_names: [postgres, db, localhost, 127.0.0.1]
`

// newFixture writes a config (baseConfig plus extra) into a new folder.
func newFixture(t testing.TB, extra string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, cfgPath: filepath.Join(dir, "config.yml")}
	f.writeConfig(t, extra)
	return f
}

func (f *fixture) writeConfig(t testing.TB, extra string) {
	t.Helper()
	testcerts.WriteFile(t, f.cfgPath, []byte(baseConfig+extra), 0o644)
}

// withCerts writes a CA (with its key) and both entries, valid until notAfter.
func (f *fixture) withCerts(t testing.TB, notAfter time.Time) *fixture {
	t.Helper()
	f.ca = testcerts.CA(t, "Fixture CA")
	testcerts.WriteFile(t, f.path("certs/ca/ca.crt"), f.ca.CertPEM, 0o644)
	testcerts.WriteFile(t, f.path("certs/ca/ca.key"), f.ca.KeyPEM, 0o600)
	for _, name := range entryNames {
		f.writeEntry(t, name, notAfter)
	}
	return f
}

// writeEntry (re-)issues an entry's files from the fixture CA.
func (f *fixture) writeEntry(t testing.TB, name string, notAfter time.Time) testcerts.EntryFiles {
	t.Helper()
	return testcerts.WriteEntry(t, f.path("certs"), name, f.ca, testcerts.Options{NotAfter: notAfter,
		DNSNames:    map[string][]string{"pgbouncer": {"pgbouncer", "localhost"}, "postgres": {"postgres", "db", "localhost"}}[name],
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}, 0o600)
}

func (f *fixture) path(rel string) string { return filepath.Join(f.dir, rel) }

func (f *fixture) config(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// run runs renew in-process with opts (ConfigFile filled in) and returns
// the exit code and what it printed.
func (f *fixture) run(t testing.TB, opts Options) (int, string) {
	t.Helper()
	var out bytes.Buffer
	opts.ConfigFile, opts.Out = f.cfgPath, &out
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	code := Run(context.Background(), opts)
	return code, out.String()
}

// snapshot hashes every file under dir (relative names), with its mode.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h := sha256.Sum256(data)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%s %04o", hex.EncodeToString(h[:8]), fi.Mode().Perm())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffSnapshots(a, b map[string]string) string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, fmt.Sprintf("%s: %q -> %q", k, v, b[k]))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			d = append(d, fmt.Sprintf("%s: new %q", k, v))
		}
	}
	sort.Strings(d)
	return strings.Join(d, "\n")
}

// requireConsistent checks that every entry's files are complete and
// belong together: key and combined PEM match the certificate, which
// chains to the CA and covers the expected names. It returns the serials.
func requireConsistent(t testing.TB, cfg *config.Config) map[string]string {
	t.Helper()
	report := inspect.New(cfg, 1).Inspect(time.Now())
	serials := map[string]string{}
	for _, e := range report.Entries {
		for _, fr := range e.Files {
			if fr.Err != nil {
				t.Fatalf("entry %s: %s %s: %v", e.Name, fr.Role, fr.Path, fr.Err)
			}
		}
		for _, km := range e.KeyMatches {
			if !km.OK {
				t.Fatalf("entry %s: %s does not match: %v", e.Name, km.Path, km.Err)
			}
		}
		if e.Verify == nil || !e.Verify.OK() {
			t.Fatalf("entry %s does not verify: %+v", e.Name, e.Verify)
		}
		for _, n := range e.Names {
			if !n.Covered() {
				t.Fatalf("entry %s does not cover %s", e.Name, n.Name)
			}
		}
		serials[e.Name] = e.CertFile().Certificates[0].Serial
	}
	return serials
}

// readState reads the fixture's renew state.
func readState(t testing.TB, cfg *config.Config) *renewstate.State {
	t.Helper()
	st, err := renewstate.Read(renewstate.Path(cfg.RenewStateDir()))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// fileSerial is the serial of the certificate in a PEM file.
func fileSerial(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := certs.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	return certs.Serial(b.Leaf())
}

// backups lists the backup folders.
func backups(t testing.TB, cfg *config.Config) []string {
	t.Helper()
	list, err := os.ReadDir(filepath.Join(cfg.RenewStateDir(), backupsDir))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Name())
	}
	return out
}
