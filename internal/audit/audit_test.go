package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/config"
)

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func parse(t *testing.T, dir, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), dir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestLocate: a file a server names is found through renew's docker
// compose copy steps (by the service's kind), path_map (the longest
// prefix), or as it is for a server on this host, and is matched with the
// configured files as a file, symlinks included.
func TestLocate(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "certs/postgres.crt"), "cert")
	write(t, filepath.Join(dir, "certs/postgres.key"), "key")
	write(t, filepath.Join(dir, "certs/ca.crt"), "ca")
	write(t, filepath.Join(dir, "mnt/pg/server.crt"), "other")
	if err := os.Symlink(filepath.Join(dir, "certs/postgres.crt"), filepath.Join(dir, "mnt/pg/link.crt")); err != nil {
		t.Fatal(err)
	}
	cfg := parse(t, dir, `
ca: {cert: certs/ca.crt}
certificates:
  - {name: postgres, cert: certs/postgres.crt, key: certs/postgres.key}
renew:
  services:
    - name: db
      kind: postgres
      certificates: [postgres]
      docker_compose: {service: db, copy: [{file: cert, to: /var/lib/postgresql/data/server.crt}, {file: ca, to: /var/lib/postgresql/data/ca.crt}]}
audit:
  files: {pg_hba: [x]}
  path_map:
    - {from: /srv, to: mnt}
    - {from: /srv/pg, to: mnt/pg}
`)
	w := newWatch(cfg)
	show := func(f TLSFile) string {
		return fmt.Sprintf("local=%q visible=%v entry=%q field=%q", f.Local, f.Visible, f.Entry, f.Field)
	}
	for _, tc := range []struct {
		kind  Kind
		path  string
		local bool
		want  string
	}{
		{KindPostgres, "/var/lib/postgresql/data/server.crt", false, `local="" visible=true entry="postgres" field="cert"`},
		{KindPostgres, "/var/lib/postgresql/data/ca.crt", false, `local="" visible=true entry="ca" field="ca"`},
		{KindPgBouncer, "/var/lib/postgresql/data/server.crt", false, `local="" visible=false entry="" field=""`},
		{KindPostgres, "/srv/pg/link.crt", false, fmt.Sprintf(`local=%q visible=true entry="postgres" field="cert"`, filepath.Join(dir, "mnt/pg/link.crt"))},
		{KindPostgres, "/srv/pg/server.crt", false, fmt.Sprintf(`local=%q visible=true entry="" field=""`, filepath.Join(dir, "mnt/pg/server.crt"))},
		{KindPostgres, "/srv/none.crt", false, fmt.Sprintf(`local=%q visible=false entry="" field=""`, filepath.Join(dir, "mnt/none.crt"))},
		{KindPostgres, filepath.Join(dir, "certs/../certs/postgres.key"), true, fmt.Sprintf(`local=%q visible=true entry="postgres" field="key"`, filepath.Join(dir, "certs/postgres.key"))},
		{KindPostgres, filepath.Join(dir, "certs/postgres.key"), false, `local="" visible=false entry="" field=""`},
		{KindPostgres, "server.crt", true, `local="" visible=false entry="" field=""`},
	} {
		if got := show(w.locate(tc.kind, "ssl_cert_file", RoleCert, tc.path, tc.local)); got != tc.want {
			t.Errorf("%s %s local=%v:\n got %s\nwant %s", tc.kind, tc.path, tc.local, got, tc.want)
		}
	}
}

// TestFileTargets: a pgbouncer.ini gets PgBouncer's defaults for what it
// does not set, and where each setting is set; one that does not load
// names its line; a pg_hba.conf becomes rules; files come in
// configuration order after the live servers.
func TestFileTargets(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "pgbouncer.ini"), "[pgbouncer]\nclient_tls_sslmode = require\n%include tls.ini\n")
	write(t, filepath.Join(dir, "tls.ini"), "client_tls_cert_file = "+filepath.Join(dir, "pgb.crt")+"\n")
	write(t, filepath.Join(dir, "pgb.crt"), "cert")
	write(t, filepath.Join(dir, "bad.ini"), "[pgbouncer]\n\nauth_type md5\n")
	write(t, filepath.Join(dir, "hba/pg_hba.conf"), "# c\nhost all all all md5\n")
	cfg := parse(t, dir, "audit: {files: {pg_hba: [hba/pg_hba.conf, none.conf], pgbouncer_ini: [pgbouncer.ini, bad.ini]}}\n")
	targets := Targets(cfg, nil, nil)
	var subjects []string
	for _, tg := range targets {
		subjects = append(subjects, tg.Subject()+" "+string(tg.Kind()))
	}
	if want := []string{"hba/pg_hba.conf pg_hba", "none.conf pg_hba", "pgbouncer.ini pgbouncer_ini", "bad.ini pgbouncer_ini"}; !slices.Equal(subjects, want) {
		t.Fatalf("targets %v", subjects)
	}
	ctx := context.Background()
	hba := targets[0].Collect(ctx)
	if !hba.HBAKnown || len(hba.HBA) != 1 || hba.HBA[0].Where() != filepath.Join(dir, "hba/pg_hba.conf")+":2" || hba.HBA[0].Method != "md5" {
		t.Errorf("pg_hba facts %+v", hba)
	}
	if none := targets[1].Collect(ctx); none.HBAKnown || len(none.Unparsable) != 1 || none.Unparsable[0].Where != filepath.Join(dir, "none.conf") {
		t.Errorf("missing pg_hba facts %+v", none)
	}
	ini := targets[2].Collect(ctx)
	if s := ini.Settings["client_tls_sslmode"]; s != (Setting{Value: "require", Where: filepath.Join(dir, "pgbouncer.ini") + ":2"}) {
		t.Errorf("client_tls_sslmode %+v", s)
	}
	if s := ini.Settings["server_tls_sslmode"]; s != (Setting{Value: "prefer", Default: true}) {
		t.Errorf("server_tls_sslmode %+v", s)
	}
	if len(ini.Files) != 1 || ini.Files[0].Setting != "client_tls_cert_file" || !ini.Files[0].Visible || ini.Files[0].Entry != "" {
		t.Errorf("files %+v", ini.Files)
	}
	bad := targets[3].Collect(ctx)
	if want := []Problem{{Where: filepath.Join(dir, "bad.ini") + ":3", Msg: "syntax error in configuration"}}; !slices.Equal(bad.Unparsable, want) {
		t.Errorf("bad.ini %+v", bad.Unparsable)
	}
}

func TestIsPathSetting(t *testing.T) {
	for name, want := range map[string]bool{"ssl_cert_file": true, "server_tls_ca_file": true, "hba_file": true,
		"ssl": false, "client_tls_sslmode": false, "auth_type": false} {
		if IsPathSetting(name) != want {
			t.Errorf("IsPathSetting(%s) = %v", name, !want)
		}
	}
}
