package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// filesConfig names a path in every place that takes one; reload.sql.dsn
// is used as written, so its file is given absolute (DIR).
const filesConfig = `
ca: {cert: ca.crt, key: ca.key}
certificates:
  - {name: pg, cert: pg.crt, key: pg.key, combined: pg.pem}
targets:
  - {name: db, address: 'db:5432', client_cert: client.crt, client_key: client.key}
sessions:
  postgres:
    - {name: pg, dsn: "host=db user=m password=hunter2 sslrootcert=root.crt sslcert=sess.crt sslkey=sess.key", password_file: pg.pw}
  pgbouncer:
    - {name: pgb, dsn: "postgres://m:hunter2@db:6432/pgbouncer?sslrootcert=system"}
renew:
  docker_compose: {project_dir: deploy, files: [compose.yml]}
  services:
    - {name: pg, kind: postgres, certificates: [pg], reload: {sql: {dsn: "host=db sslrootcert=DIR/reload-root.crt", password_file: reload.pw}}}
  ca_rotation:
    trust_files: [trust.crt]
    link_check: {dsn: "host=pgb sslrootcert=link-root.crt", password_file: link.pw, admin_dsn: "host=pgb dbname=pgbouncer", admin_password_file: admin.pw}
audit:
  files: {pg_hba: [pg_hba.conf], pgbouncer_ini: [pgbouncer.ini]}
  path_map: [{from: /var/lib/postgresql, to: data}]
`

// filesConfigFiles are the files filesConfig names, and its folders.
var filesConfigFiles = []string{"ca.crt", "ca.key", "pg.crt", "pg.key", "pg.pem", "client.crt", "client.key", "root.crt",
	"sess.crt", "sess.key", "pg.pw", "deploy/compose.yml", "reload-root.crt", "reload.pw", "trust.crt", "link-root.crt",
	"link.pw", "admin.pw", "pg_hba.conf", "pgbouncer.ini"}

func parseFilesConfig(t *testing.T, dir string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(strings.ReplaceAll(filesConfig, "DIR", dir)), dir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func problems(errs []error) string {
	var lines []string
	for _, e := range errs {
		var fe *FieldError
		if !errors.As(e, &fe) {
			return "not a *FieldError: " + e.Error()
		}
		lines = append(lines, e.Error())
	}
	return strings.Join(lines, "\n")
}

func TestCheckFilesNamesEveryMissingPath(t *testing.T) {
	dir := t.TempDir()
	got := problems(parseFilesConfig(t, dir).CheckFiles())
	want := strings.ReplaceAll(`ca.cert: ca.crt (DIR/ca.crt): no such file or directory; neither ca.cert nor ca.key exists: `+"`pgtls_exporter renew --init`"+` creates the CA
ca.key: ca.key (DIR/ca.key): no such file or directory
certificates[0].cert: pg.crt (DIR/pg.crt): no such file or directory
certificates[0].key: pg.key (DIR/pg.key): no such file or directory
certificates[0].combined: pg.pem (DIR/pg.pem): no such file or directory
targets[0].client_cert: client.crt (DIR/client.crt): no such file or directory
targets[0].client_key: client.key (DIR/client.key): no such file or directory
sessions.postgres[0].dsn: sslrootcert=root.crt (DIR/root.crt): no such file or directory
sessions.postgres[0].dsn: sslcert=sess.crt (DIR/sess.crt): no such file or directory
sessions.postgres[0].dsn: sslkey=sess.key (DIR/sess.key): no such file or directory
sessions.postgres[0].password_file: pg.pw (DIR/pg.pw): no such file or directory
renew.docker_compose.project_dir: deploy (DIR/deploy): no such file or directory
renew.docker_compose.files[0]: compose.yml (DIR/deploy/compose.yml): no such file or directory
renew.services[0].reload.sql.dsn: sslrootcert=DIR/reload-root.crt: no such file or directory
renew.services[0].reload.sql.password_file: reload.pw (DIR/reload.pw): no such file or directory
renew.ca_rotation.trust_files[0]: trust.crt (DIR/trust.crt): no such file or directory
renew.ca_rotation.link_check.dsn: sslrootcert=link-root.crt (DIR/link-root.crt): no such file or directory
renew.ca_rotation.link_check.password_file: link.pw (DIR/link.pw): no such file or directory
renew.ca_rotation.link_check.admin_password_file: admin.pw (DIR/admin.pw): no such file or directory
audit.files.pg_hba[0]: pg_hba.conf (DIR/pg_hba.conf): no such file or directory
audit.files.pgbouncer_ini[0]: pgbouncer.ini (DIR/pgbouncer.ini): no such file or directory
audit.path_map[0].to: data (DIR/data): no such file or directory`, "DIR", dir)
	if got != want {
		t.Fatalf("problems:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, "hunter2") {
		t.Fatal("a DSN's password reached a problem")
	}
}

func TestCheckFilesAcceptsWhatExists(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range filesConfigFiles {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := parseFilesConfig(t, dir)
	if errs := cfg.CheckFiles(); len(errs) > 0 {
		t.Fatalf("problems:\n%s", problems(errs))
	}

	// ca.key is never opened: a FIFO there passes (opening it to read
	// would block); elsewhere it is refused. A file is no folder.
	for _, f := range []string{"ca.key", "pg.crt"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(filepath.Join(dir, f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll("certificates[0].cert: pg.crt (DIR/pg.crt): is a named pipe (FIFO), not a regular file\n"+
		"audit.path_map[0].to: data (DIR/data): is not a folder", "DIR", dir)
	if got := problems(cfg.CheckFiles()); got != want {
		t.Fatalf("problems:\n%s\nwant:\n%s", got, want)
	}
}

func TestCheckFilesCAHint(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Parse([]byte("ca: {cert: ca.crt, key: ca.key}\ncertificates: [{name: pg, cert: /dev/null}]\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.key"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Only ca.cert is missing: no hint to create the CA.
	want := "ca.cert: ca.crt (" + dir + "/ca.crt): no such file or directory\n" +
		"certificates[0].cert: /dev/null: is a character device, not a regular file"
	if got := problems(cfg.CheckFiles()); got != want {
		t.Fatalf("problems:\n%s\nwant:\n%s", got, want)
	}
}
