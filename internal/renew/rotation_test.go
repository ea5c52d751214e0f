package renew

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

func TestOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{RotateCA: true, Until: "switch", Finish: true}, ""},
		{Options{Force: true, Only: []string{"postgres"}}, ""},
		{Options{Until: "switch"}, "--until and --finish belong to --rotate-ca"},
		{Options{Finish: true}, "--until and --finish belong to --rotate-ca"},
		{Options{RotateCA: true, Force: true}, "--rotate-ca goes with neither --init, --force, --only nor --no-reload: a rotation reissues every entry and reloads every service"},
		{Options{RotateCA: true, NoReload: true}, "--rotate-ca goes with neither --init, --force, --only nor --no-reload: a rotation reissues every entry and reloads every service"},
		{Options{RotateCA: true, Until: "halfway"}, "--until halfway: not one of prepare, switch, finish"},
	} {
		err := tc.opts.Check()
		if got := ""; err != nil {
			got = err.Error()
			if got != tc.want {
				t.Errorf("%+v: %q, want %q", tc.opts, got, tc.want)
			}
		} else if tc.want != "" {
			t.Errorf("%+v: accepted, want %q", tc.opts, tc.want)
		}
	}
}

// offlineRotation is a fixture whose one service reloads with a command
// that does nothing and which has no targets: the rotation's files,
// journal and state without servers.
func offlineRotation(t *testing.T) *fixture {
	t.Helper()
	return newFixture(t, "renew:\n  services:\n    - {name: db, kind: postgres, certificates: [pgbouncer, postgres], reload: {command: [/bin/true]}}\n").
		withCerts(t, time.Now().Add(300*24*time.Hour))
}

func TestRotationDryRunWritesNothing(t *testing.T) {
	f := offlineRotation(t)
	before := snapshot(t, f.dir)
	code, out := f.run(t, Options{RotateCA: true, DryRun: true, Until: rotation.StepFinish})
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"CA rotation plan: prepare", "  phase    none -> prepared",
		`  old CA   certs/ca/ca.crt: "CN=Fixture CA"`,
		`  new CA   create "pgtls_exporter CA ` + time.Now().UTC().Format("2006-01-02") + `" (ecdsa-p256, 3650d), never over a file:`,
		"  trust    what ca.cert holds now + the new CA, into:",
		"service db (postgres): run /bin/true",
		"Then, in this run, the switch step (prepared -> switched), planned once the step before it is done.",
		"Then, in this run, the finish step (switched -> finished), planned once the step before it is done.",
		"Dry run: nothing was written.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if d := diffSnapshots(before, snapshot(t, f.dir)); d != "" {
		t.Fatalf("a dry run changed files:\n%s", d)
	}
}

// TestRotationWithoutServers runs a whole rotation in one run (--until
// finish) and checks the files of each phase; while it is switched, plain
// renew signs with the new CA.
func TestRotationWithoutServers(t *testing.T) {
	f := offlineRotation(t)
	cfg := f.config(t)
	oldCert, oldKey := mustRead(t, f.path("certs/ca/ca.crt")), mustRead(t, f.path("certs/ca/ca.key"))
	code, out := f.run(t, Options{RotateCA: true, Until: rotation.StepSwitch})
	if code != ExitOK || strings.Contains(out, "PRIVATE KEY") {
		t.Fatalf("prepare and switch: exit %d (or key material printed)\n%s", code, out)
	}
	st, err := rotation.Read(cfg.RenewStateDir())
	if err != nil || st.Phase != renewstate.PhaseSwitched || st.OldCA.Subject != "CN=Fixture CA" {
		t.Fatalf("state %+v %v", st, err)
	}
	bundle := mustRead(t, f.path("certs/ca/ca-bundle.crt"))
	if !bytes.Equal(mustRead(t, f.path("certs/ca/ca.crt")), bundle) || !bytes.HasPrefix(bundle, oldCert) {
		t.Fatal("ca.cert is not the bundle, the old CA first")
	}
	for name := range requireConsistent(t, cfg) {
		if issuer := issuerOf(t, f.path("certs/"+name+".crt")); issuer != st.NewCA.Subject {
			t.Errorf("entry %s issued by %s after switch, want %s", name, issuer, st.NewCA.Subject)
		}
	}
	if code, out := f.run(t, Options{Force: true, Only: []string{"postgres"}}); code != ExitOK || !strings.Contains(out, "a CA rotation is switched") {
		t.Fatalf("renew while switched: exit %d\n%s", code, out)
	}
	if issuer := issuerOf(t, f.path("certs/postgres.crt")); issuer != st.NewCA.Subject {
		t.Errorf("renew while switched signed with %s, want the new CA", issuer)
	}
	newCert, newKey := mustRead(t, f.path("certs/ca/ca-next.crt")), mustRead(t, f.path("certs/ca/ca-next.key"))

	if code, out := f.run(t, Options{RotateCA: true, Finish: true}); code != ExitOK || strings.Contains(out, "PRIVATE KEY") {
		t.Fatalf("finish: exit %d (or key material printed)\n%s", code, out)
	}
	st, _ = rotation.Read(cfg.RenewStateDir())
	if st.Phase != renewstate.PhaseFinished || !bytes.Equal(mustRead(t, f.path("certs/ca/ca.crt")), newCert) ||
		!bytes.Equal(mustRead(t, f.path("certs/ca/ca-bundle.crt")), newCert) || !bytes.Equal(mustRead(t, f.path("certs/ca/ca.key")), newKey) {
		t.Fatalf("after finish: state %+v; ca.cert, bundle and ca.key must be the new CA's", st)
	}
	if !bytes.Equal(mustRead(t, st.RetiredKey), oldKey) {
		t.Fatalf("the old CA key is not at %s", st.RetiredKey)
	}
	if fi, err := os.Stat(f.path("certs/ca/ca.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key mode: %v %v", fi, err)
	}
	requireConsistent(t, f.config(t))
}

func issuerOf(t *testing.T, path string) string {
	t.Helper()
	b, err := certs.ParseBundle(mustRead(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return b.Leaf().Issuer.String()
}

// TestRotationRefusals: what a rotation step refuses leaves every file as
// it was.
func TestRotationRefusals(t *testing.T) {
	t.Run("new CA key exists", func(t *testing.T) {
		f := offlineRotation(t)
		testcerts.WriteFile(t, f.path("certs/ca/ca-next.key"), []byte("someone's key"), 0o600)
		before := snapshot(t, f.dir)
		code, out := f.run(t, Options{RotateCA: true})
		if code != ExitRefused || !strings.Contains(out, "ca-next.key exists: a new CA is never written over a file; move it away") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		requireOnlyStateChanged(t, f, before)
	})
	t.Run("finish without a rotation", func(t *testing.T) {
		f := offlineRotation(t)
		before := snapshot(t, f.dir)
		code, out := f.run(t, Options{RotateCA: true, Finish: true})
		if code != ExitRefused || !strings.Contains(out, "no CA rotation is under way (phase none): nothing to finish") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		requireOnlyStateChanged(t, f, before)
	})
	t.Run("unreadable rotation state", func(t *testing.T) {
		f := offlineRotation(t)
		testcerts.WriteFile(t, renewstate.RotationPath(f.config(t).RenewStateDir()), []byte("{"), 0o644)
		before := snapshot(t, f.dir)
		for _, opts := range []Options{{RotateCA: true}, {Force: true}} {
			code, out := f.run(t, opts)
			if code != ExitRefused || !strings.Contains(out, "CA rotation state: unexpected end of JSON input") {
				t.Fatalf("%+v: exit %d\n%s", opts, code, out)
			}
		}
		requireOnlyStateChanged(t, f, before)
	})
	t.Run("ca.cert without the new CA", func(t *testing.T) {
		f := offlineRotation(t)
		if code, out := f.run(t, Options{RotateCA: true}); code != ExitOK {
			t.Fatalf("prepare: exit %d\n%s", code, out)
		}
		testcerts.WriteFile(t, f.path("certs/ca/ca.crt"), f.ca.CertPEM, 0o644)
		before := snapshot(t, f.dir)
		code, out := f.run(t, Options{RotateCA: true})
		if code != ExitRefused || !strings.Contains(out, "does not hold the new CA any more (replaced by hand?)") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		requireOnlyStateChanged(t, f, before)
	})
}

// requireOnlyStateChanged checks that a refused run changed nothing but
// renew's state file.
func requireOnlyStateChanged(t *testing.T, f *fixture, before map[string]string) {
	t.Helper()
	after := snapshot(t, f.dir)
	delete(before, filepath.Join("renew-state", renewstate.StateFile))
	delete(after, filepath.Join("renew-state", renewstate.StateFile))
	delete(after, filepath.Join("renew-state", renewstate.LockFile))
	delete(before, filepath.Join("renew-state", renewstate.LockFile))
	if d := diffSnapshots(before, after); d != "" {
		t.Fatalf("a refused run changed files:\n%s", d)
	}
}

// TestPruneKeepsCAKeys: a backup folder holding a CA key is never pruned
// and does not count against keep_backups.
func TestPruneKeepsCAKeys(t *testing.T) {
	state := t.TempDir()
	folder := func(id string, roles ...string) {
		m := manifest{ID: id}
		for _, r := range roles {
			m.Files = append(m.Files, backupFile{Entry: "ca", Role: r, Backup: "ca." + r})
		}
		data, _ := json.Marshal(m)
		testcerts.WriteFile(t, filepath.Join(backupDir(state, id), manifestFile), data, 0o600)
	}
	folder("20300101T000000Z", "cert")
	folder("20300102T000000Z", rotation.RoleCAKey, rotation.RoleCACert)
	folder("20300103T000000Z", "key")
	folder("20300104T000000Z", rotation.RoleNewCAKey)
	folder("20300105T000000Z", "cert")
	removed, err := pruneBackups(state, 1)
	if err != nil || !slices.Equal(removed, []string{"20300101T000000Z", "20300103T000000Z"}) {
		t.Fatalf("removed %v, %v", removed, err)
	}
}

// TestJournalVersions: a CA rotation's journal is version 2, which a
// renew knowing only version 1 refuses rather than take it for a plain
// renewal; a plain renewal's journal stays version 1.
func TestJournalVersions(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		rot  *JournalRotation
		want int
	}{{nil, 1}, {&JournalRotation{Phase: renewstate.PhasePrepared}, 2}} {
		if err := saveJournal(dir, &Journal{ID: "x", Phase: phasePrepared, Rotation: tc.rot}); err != nil {
			t.Fatal(err)
		}
		j, err := loadJournal(dir)
		if err != nil || j.Version != tc.want || (j.Rotation == nil) != (tc.rot == nil) {
			t.Fatalf("rotation %v: version %d, %v; want %d", tc.rot, j.Version, err, tc.want)
		}
	}
	testcerts.WriteFile(t, journalPath(dir), []byte(`{"version": 2, "phase": "prepared"}`), 0o600)
	if _, err := loadJournal(dir); err == nil || !strings.Contains(err.Error(), "version 2, want 1 (2 for a CA rotation)") {
		t.Fatalf("a version 2 journal without a rotation: %v", err)
	}
}
