package renew

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

func TestInitIssuesEverythingThenNothingToDo(t *testing.T) {
	f := newFixture(t, "")
	code, out := f.run(t, Options{Init: true, NoReload: true})
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	cfg := f.config(t)
	serials := requireConsistent(t, cfg)
	for rel, mode := range map[string]os.FileMode{
		"certs/ca/ca.key": 0o600, "certs/ca/ca.crt": 0o644, "certs/postgres.key": 0o600, "certs/postgres.crt": 0o644,
		"certs/postgres-combined.pem": 0o600, "certs/pgbouncer.key": 0o600, "certs/pgbouncer-combined.pem": 0o600,
	} {
		fi, err := os.Stat(f.path(rel))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want %04o", rel, fi.Mode(), err, mode)
		}
	}
	cert, _ := os.ReadFile(f.path("certs/postgres.crt"))
	key, _ := os.ReadFile(f.path("certs/postgres.key"))
	combined, _ := os.ReadFile(f.path("certs/postgres-combined.pem"))
	if !bytes.Equal(combined, append(cert, key...)) {
		t.Error("combined PEM is not cert + key")
	}
	if strings.Contains(out, "PRIVATE KEY") {
		t.Fatal("key material printed")
	}
	st := readState(t, cfg)
	if st.ExitCode != 0 || st.LastSuccess.IsZero() || st.Entries["postgres"].Result != renewstate.ResultRenewed ||
		st.Entries["postgres"].Serial != serials["postgres"] || st.Entries["postgres"].LastRenewed.IsZero() {
		t.Fatalf("state %+v", st)
	}
	caKey, _ := os.ReadFile(f.path("certs/ca/ca.key"))

	// Again, with --init: the CA exists, nothing is due, nothing changes.
	before := snapshot(t, f.path("certs"))
	code, out = f.run(t, Options{Init: true, NoReload: true})
	if code != ExitOK || !strings.Contains(out, "Nothing to do.") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	if d := diffSnapshots(before, snapshot(t, f.path("certs"))); d != "" {
		t.Fatalf("second run changed files:\n%s", d)
	}
	if again, _ := os.ReadFile(f.path("certs/ca/ca.key")); !bytes.Equal(again, caKey) {
		t.Fatal("CA key changed")
	}
	if b := backups(t, cfg); len(b) != 1 {
		t.Fatalf("backups %v", b)
	}
	st2 := readState(t, cfg)
	if e := st2.Entries["postgres"]; e.Result != renewstate.ResultUnchanged || !e.LastRenewed.Equal(st.Entries["postgres"].LastRenewed) {
		t.Fatalf("state after nothing to do: %+v", e)
	}
}

// reloadBoth is a renew section whose one service reloads both entries
// with a command that does nothing.
const reloadBoth = `renew:
  keep_backups: 2
  services:
    - {name: db, kind: postgres, certificates: [pgbouncer, postgres], reload: {command: ["true"]}}
`

func TestRenewsOnlyWhatIsDue(t *testing.T) {
	f := newFixture(t, reloadBoth).withCerts(t, time.Now().Add(400*24*time.Hour))
	cfg := f.config(t)
	old := requireConsistent(t, cfg)
	// pgbouncer expires soon; postgres lacks a SAN the config now expects.
	f.writeEntry(t, "pgbouncer", time.Now().Add(10*24*time.Hour))
	if err := os.WriteFile(f.cfgPath, []byte(strings.Replace(baseConfig, "[postgres, db, localhost, 127.0.0.1]",
		"[postgres, db, localhost, 127.0.0.1, replica]", 1)+reloadBoth), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := f.run(t, Options{DryRun: true})
	if code != ExitOK || !strings.Contains(out, "renew pgbouncer: expires_soon: serial ") || !strings.Contains(out, "renew postgres: san_missing: does not cover replica") ||
		!strings.Contains(out, "Dry run: nothing was written.") {
		t.Fatalf("dry run: %d\n%s", code, out)
	}
	if _, err := os.Stat(f.config(t).RenewStateDir()); !os.IsNotExist(err) {
		t.Fatalf("dry run created the state folder: %v", err)
	}
	code, out = f.run(t, Options{Only: []string{"postgres"}})
	if code != ExitOK || !strings.Contains(out, "skip  pgbouncer: not selected (--only)") {
		t.Fatalf("--only: %d\n%s", code, out)
	}
	cfg = f.config(t)
	now := requireConsistent(t, cfg)
	if now["postgres"] == old["postgres"] || now["pgbouncer"] != fileSerial(t, f.path("certs/pgbouncer.crt")) {
		t.Fatalf("serials %v -> %v", old, now)
	}
	code, out = f.run(t, Options{})
	if code != ExitOK || !strings.Contains(out, "keep  postgres") || !strings.Contains(out, "renew pgbouncer") {
		t.Fatalf("second: %d\n%s", code, out)
	}
	code, out = f.run(t, Options{Force: true})
	if code != ExitOK || strings.Count(out, "forced (--force)") != 2 {
		t.Fatalf("force: %d\n%s", code, out)
	}
	if b := backups(t, cfg); len(b) != 2 {
		t.Fatalf("keep_backups 2: %v", b)
	}
	if code, out = f.run(t, Options{Only: []string{"nope"}}); code != ExitRefused || !strings.Contains(out, "--only nope: no certificates entry has that name") {
		t.Fatalf("unknown --only: %d\n%s", code, out)
	}
}

func TestMissingCAKeyRefusesAndWritesNothing(t *testing.T) {
	f := newFixture(t, reloadBoth).withCerts(t, time.Now().Add(5*24*time.Hour))
	if err := os.Remove(f.path("certs/ca/ca.key")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, f.path("certs"))
	for _, opts := range []Options{{}, {Init: true}, {Force: true, Init: true}} {
		code, out := f.run(t, opts)
		if code != ExitRefused || !strings.Contains(out, "CA key certs/ca/ca.key is missing") || !strings.Contains(out, "REFUSED, nothing will be written") {
			t.Fatalf("%+v: exit %d\n%s", opts, code, out)
		}
	}
	if d := diffSnapshots(before, snapshot(t, f.path("certs"))); d != "" {
		t.Fatalf("files changed:\n%s", d)
	}
	cfg := f.config(t)
	if b := backups(t, cfg); len(b) != 0 {
		t.Fatalf("backups written: %v", b)
	}
	if _, err := os.Stat(journalPath(cfg.RenewStateDir())); !os.IsNotExist(err) {
		t.Fatalf("journal: %v", err)
	}
	st := readState(t, cfg)
	if e := st.Entries["postgres"]; e.Result != renewstate.ResultNotRenewed || !strings.Contains(e.Error, "CA key") || st.ExitCode != ExitRefused ||
		st.Outcome != renewstate.OutcomeRefused || !st.LastSuccess.IsZero() {
		t.Fatalf("state %+v", st)
	}
}

// TestRefusalIsPrintedOnce: a refused plan's reason is printed once in the
// plan and logged once; the other lines refer to it.
func TestRefusalIsPrintedOnce(t *testing.T) {
	f := newFixture(t, reloadBoth).withCerts(t, time.Now().Add(5*24*time.Hour))
	if err := os.Remove(f.path("certs/ca/ca.key")); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	code, out := f.run(t, Options{Force: true, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	const reason = "CA key certs/ca/ca.key is missing, so nothing can be signed"
	if code != ExitRefused || strings.Count(out, reason) != 1 || strings.Count(log.String(), reason) != 1 {
		t.Fatalf("exit %d; reason %d times in the output, %d in the log\n%s\n%s",
			code, strings.Count(out, reason), strings.Count(log.String(), reason), out, log.String())
	}
	for _, want := range []string{
		"\n  CA   UNUSABLE: " + reason + "; a new CA would break every client that trusts certs/ca/ca.crt, so renew creates none (--init only acts when neither file exists): restore the key from a backup\n",
		"\n  REFUSED, nothing will be written: no usable CA (see the CA line)\n",
		"\nrenew: refused, nothing attempted: the plan was refused (see above) (",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(log.String(), `summary="the plan was refused (see above)"`) {
		t.Errorf("log:\n%s", log.String())
	}
	// The state file keeps the reason for check and the metrics.
	if st := readState(t, f.config(t)); !strings.HasPrefix(st.Refused, reason) || st.Message != "refused: "+st.Refused {
		t.Errorf("state: refused %q, message %q", st.Refused, st.Message)
	}
}

func TestNoCAWithoutInit(t *testing.T) {
	f := newFixture(t, "")
	code, out := f.run(t, Options{NoReload: true})
	if code != ExitRefused || !strings.Contains(out, "run `pgtls_exporter renew --init` to create one") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if _, err := os.Stat(f.path("certs")); !os.IsNotExist(err) {
		t.Fatalf("certs folder written: %v", err)
	}
	// A CA certificate without its key is never replaced, even with --init.
	testcerts.WriteFile(t, f.path("certs/ca/ca.crt"), testcerts.CA(t, "Lone CA").CertPEM, 0o644)
	code, out = f.run(t, Options{Init: true, NoReload: true})
	if code != ExitRefused || !strings.Contains(out, "CA key certs/ca/ca.key is missing") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestTargetWithoutServiceIsRefused(t *testing.T) {
	f := newFixture(t, "targets: [{name: db, address: '127.0.0.1:1', certificate: postgres}]\n").withCerts(t, time.Now().Add(5*24*time.Hour))
	code, out := f.run(t, Options{})
	if code != ExitRefused || !strings.Contains(out, "entry postgres is served by target db but no renew.services entry reloads it") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if code, out = f.run(t, Options{NoReload: true}); code != ExitOK {
		t.Fatalf("--no-reload: %d\n%s", code, out)
	}
}

func TestStateFileAfterRun(t *testing.T) {
	f := newFixture(t, "")
	if code, out := f.run(t, Options{Init: true, NoReload: true}); code != 0 {
		t.Fatal(out)
	}
	data, err := os.ReadFile(filepath.Join(f.config(t).RenewStateDir(), renewstate.StateFile))
	if err != nil || !strings.Contains(string(data), `"result": "renewed"`) || strings.Contains(string(data), "PRIVATE") {
		t.Fatalf("%s %v", data, err)
	}
}
