package renew

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/targets"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// stackFixture is a fixture whose certificates a real TLS PostgreSQL and
// PgBouncer serve.
type stackFixture struct {
	*fixture
	s *testenv.Stack
}

// sqlServices reloads both servers over their unix sockets: PostgreSQL
// as the trusted superuser, PgBouncer's admin console as stats.
const sqlServices = `    - name: db
      kind: postgres
      certificates: [postgres]
      reload: {sql: {dsn: "host={{pgsock}} port={{pgport}} dbname=postgres user=postgres sslmode=disable"}}
    - name: pgbouncer
      kind: pgbouncer
      certificates: [pgbouncer]
      reload: {sql: {dsn: "host={{pgbsock}} port={{pgbport}} dbname=pgbouncer user=stats sslmode=disable", password_file: stats.pw}}
`

// newStackFixture issues certificates valid until notAfter, starts the
// servers on them (PgBouncer verifies PostgreSQL: server_tls_sslmode =
// verify-full), and writes a config whose renew section reloads both
// servers over SQL.
func newStackFixture(t testing.TB, notAfter time.Time) *stackFixture {
	t.Helper()
	f := newFixture(t, "").withCerts(t, notAfter)
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true, PgBouncerServerTLSMode: "verify-full", Certs: testenv.CertFiles{
		CA:            f.path("certs/ca/ca.crt"),
		PostgresCert:  f.path("certs/postgres.crt"),
		PostgresKey:   f.path("certs/postgres.key"),
		PgBouncerCert: f.path("certs/pgbouncer.crt"),
		PgBouncerKey:  f.path("certs/pgbouncer.key"),
	}})
	sf := &stackFixture{fixture: f, s: s}
	if err := os.WriteFile(f.path("stats.pw"), []byte(s.Password(testenv.UserStats)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sf.configure(t, "", sqlServices, "")
	return sf
}

// configure writes the config: entries (the postgres entry with
// postgresOwner as key_owner, "postgres" when empty), both targets, and
// the renew section with services and extra renew keys.
func (sf *stackFixture) configure(t testing.TB, postgresOwner, services, renewExtra string) {
	t.Helper()
	// Under root the servers run as postgres and renew gives it the keys;
	// otherwise they run as the caller, who owns the files already.
	pgbouncerOwner := ""
	if os.Geteuid() == 0 {
		pgbouncerOwner = "postgres"
	}
	if postgresOwner == "" {
		postgresOwner = pgbouncerOwner
	}
	ownerLine := func(owner string) string {
		if owner == "" {
			return ""
		}
		return fmt.Sprintf("\n    key_owner: %q", owner)
	}
	s := sf.s
	text := strings.NewReplacer(
		"{{pgsock}}", s.SocketDir(), "{{pgport}}", strconv.Itoa(s.PostgresPort()),
		"{{pgbsock}}", s.PgBouncerSocketDir(), "{{pgbport}}", strconv.Itoa(s.PgBouncerPort()),
		"{{pgpid}}", filepath.Join(s.Dir(), "pgdata", "postmaster.pid"),
		"{{pgbpid}}", filepath.Join(s.Dir(), "pgbouncer", "pgbouncer.pid"),
	).Replace(fmt.Sprintf(`ca: {cert: certs/ca/ca.crt, key: certs/ca/ca.key}
certificates:
  - name: pgbouncer
    cert: certs/pgbouncer.crt
    key: certs/pgbouncer.key
    combined: certs/pgbouncer-combined.pem
    expected_names: [pgbouncer, localhost, 127.0.0.1]%s
  - name: postgres
    cert: certs/postgres.crt
    key: certs/postgres.key
    combined: certs/postgres-combined.pem
    expected_names: [postgres, db, localhost, 127.0.0.1]%s
targets:
  - {name: postgres, address: %q, server_name: db, certificate: postgres}
  - {name: pgbouncer, address: %q, server_name: pgbouncer, certificate: pgbouncer}
renew:
  verify_timeout: 3s
%s  services:
%s`, ownerLine(pgbouncerOwner), ownerLine(postgresOwner), s.PostgresAddr(), s.PgBouncerAddr(), renewExtra, services))
	if err := os.WriteFile(sf.cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// served probes both targets and returns the served serials; every probe
// must succeed and pass verify-full.
func (sf *stackFixture) served(t testing.TB) map[string]string {
	t.Helper()
	cfg := sf.config(t)
	report := inspect.New(cfg, 1).Inspect(time.Now())
	out := map[string]string{}
	for _, tg := range cfg.Targets {
		r := targets.New(cfg).Probe(context.Background(), tg, report)
		if r.Err != nil || !r.Result.Verified() {
			t.Fatalf("target %s: %v %v", tg.Name, r.Err, r.Result.VerifyErr())
		}
		out[tg.Certificate] = r.Served.Serial
	}
	return out
}

// requireServedMatchesFiles checks every entry is consistent on disk and
// served as it is in its file.
func (sf *stackFixture) requireServedMatchesFiles(t testing.TB) map[string]string {
	t.Helper()
	files := requireConsistent(t, sf.config(t))
	served := sf.served(t)
	for name, serial := range files {
		if served[name] != serial {
			t.Fatalf("entry %s: file serial %s, served %s", name, serial, served[name])
		}
	}
	return files
}

// query runs SELECT 1 over pgx with the simple protocol (transaction
// pooling) on dsn.
func query(t testing.TB, dsn string) {
	t.Helper()
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// setVerifyTimeout replaces the configured renew.verify_timeout.
func (sf *stackFixture) setVerifyTimeout(t testing.TB, d string) {
	t.Helper()
	data, err := os.ReadFile(sf.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "verify_timeout: 3s", "verify_timeout: "+d, 1)
	if text == string(data) {
		t.Fatalf("no verify_timeout: 3s in %s", sf.cfgPath)
	}
	if err := os.WriteFile(sf.cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
