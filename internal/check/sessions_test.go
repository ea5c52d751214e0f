package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

func TestPostgresFindings(t *testing.T) {
	r := &sessions.PostgresReport{Server: "db", ByDatabaseUser: true,
		Settings: sessions.Settings{SSL: "on", MinProtocolVersion: "TLSv1.2", ServerVersion: "15.14"},
		Groups: []sessions.PostgresGroup{
			{Transport: sessions.TransportPlaintext, Database: "magflow", User: "app", Count: 2},
			{Transport: sessions.TransportPlaintext, Database: "dw", User: "etl", Count: 1},
			{Transport: sessions.TransportSocket, Database: "magflow", User: "postgres", Count: 1},
			{Transport: sessions.TransportTLS, Version: "TLSv1.1", Cipher: "ECDHE-RSA-AES256-SHA", Database: "magflow", User: "legacy", Count: 3},
			{Transport: sessions.TransportTLS, Version: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384", Database: "magflow", User: "app", Count: 4},
		}}
	want := []Finding{
		{Entry: "pg_stat_ssl/db", Check: CheckSessions, Status: OK,
			Detail: "PostgreSQL 15.14, ssl=on, ssl_min_protocol_version=TLSv1.2: 11 client sessions: 7 TLS, 3 plaintext, 1 socket"},
		{Entry: "pg_stat_ssl/db", Check: CheckPlaintext, Status: Warning, Detail: "3 plaintext client sessions: app@magflow 2, etl@dw 1"},
		{Entry: "pg_stat_ssl/db", Check: CheckTLSVersion, Status: Critical, Detail: "3 connections use TLS older than 1.2: TLSv1.1 legacy@magflow 3"},
	}
	if got := PostgresFindings("db", r, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%+v\nwant\n%+v", got, want)
	}
	healthy := &sessions.PostgresReport{Settings: sessions.Settings{SSL: "on", ServerVersion: "17.2"}}
	want = []Finding{
		{Entry: "pg_stat_ssl/db", Check: CheckSessions, Status: OK, Detail: "PostgreSQL 17.2, ssl=on, ssl_min_protocol_version=-: 0 client sessions: 0 TLS, 0 plaintext, 0 socket"},
		{Entry: "pg_stat_ssl/db", Check: CheckPlaintext, Status: OK, Detail: "no plaintext client sessions"},
		{Entry: "pg_stat_ssl/db", Check: CheckTLSVersion, Status: OK, Detail: "no TLS older than 1.2"},
	}
	if got := PostgresFindings("db", healthy, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("healthy findings:\n%+v\nwant\n%+v", got, want)
	}
	got := PostgresFindings("db", nil, errors.New(`postgres "db": connect: connection refused`))
	if len(got) != 1 || got[0].Status != Unknown || got[0].Detail != `postgres "db": connect: connection refused` {
		t.Errorf("unreachable: %+v", got)
	}
}

func TestPgBouncerFindings(t *testing.T) {
	r := &sessions.PgBouncerReport{Server: "pgb", Version: "1.18.0", ByDatabaseUser: true, Groups: []sessions.PgBouncerGroup{
		{Side: sessions.SideClient, Transport: sessions.TransportPlaintext, Database: "magflow", User: "app", Count: 1},
		{Side: sessions.SideClient, Transport: sessions.TransportSocket, Database: "magflow", User: "app", Count: 2},
		{Side: sessions.SideClient, Transport: sessions.TransportTLS, Version: "TLSv1.3", Database: "magflow", User: "app", Count: 5},
		{Side: sessions.SideServer, Transport: sessions.TransportPlaintext, Database: "magflow", User: "app", Count: 2},
	}}
	for _, expect := range []bool{true, false} {
		server := Finding{Entry: "pgbouncer/pgb", Check: CheckServerTLS, Status: Warning, Detail: "2 server connections without TLS: app@magflow 2"}
		if expect {
			server.Status, server.Detail = Critical, server.Detail+" (expect_server_tls)"
		}
		want := []Finding{
			{Entry: "pgbouncer/pgb", Check: CheckSessions, Status: OK,
				Detail: "PgBouncer 1.18.0: 8 clients: 5 TLS, 1 plaintext, 2 socket; 2 server connections: 0 TLS, 2 plaintext, 0 socket"},
			{Entry: "pgbouncer/pgb", Check: CheckPlaintext, Status: Warning, Detail: "1 plaintext client connection: app@magflow 1"},
			server,
			{Entry: "pgbouncer/pgb", Check: CheckTLSVersion, Status: OK, Detail: "no TLS older than 1.2"},
		}
		if got := PgBouncerFindings("pgb", expect, r, nil); !reflect.DeepEqual(got, want) {
			t.Errorf("expect_server_tls=%v:\n%+v\nwant\n%+v", expect, got, want)
		}
	}
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestCheckSessionsOnRealStack: plaintext sessions on PostgreSQL and
// PgBouncer are warnings, PgBouncer's plaintext server connection is
// CRITICAL under expect_server_tls, and an unreachable server is UNKNOWN
// without its password.
func TestCheckSessionsOnRealStack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true, AllowPlaintext: true,
		PgBouncerClientTLSMode: "prefer", PgBouncerServerTLSMode: "disable"})
	connect := func(dsn string) *pgx.Conn {
		c, err := pgx.Connect(ctx, dsn+" default_query_exec_mode=simple_protocol")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
	connect(s.PostgresDSN(testenv.UserApp, "disable"))
	connect(s.PgBouncerDSN(testenv.UserApp, testenv.Database, "disable"))
	tx, err := connect(s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full")).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()

	const secret = "Down-Server-Pass-93b1"
	dir := t.TempDir()
	cfgPath := testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), fmt.Appendf(nil, `
ca: {cert: %[1]s}
certificates: [{name: postgres, cert: %[6]s}]
sessions:
  postgres:
    - {name: db, dsn: %[2]q}
    - {name: gone, dsn: "host=127.0.0.1 port=%[4]d user=monitor password=%[5]s sslmode=require connect_timeout=2"}
  pgbouncer:
    - {name: pgbouncer, dsn: %[3]q, expect_server_tls: true}
`, s.Certs().CA, s.PostgresDSN(testenv.UserMonitor, "verify-full"), s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"),
		freePort(t), secret, s.Certs().PostgresCert), 0o600)
	var out bytes.Buffer
	code := Run(context.Background(), &out, Options{ConfigFile: cfgPath, Thresholds: defaultThresholds})
	text := out.String()
	if code != int(Critical) {
		t.Errorf("exit %d, want 2", code)
	}
	var norm strings.Builder // one space between columns
	for _, l := range strings.Split(text, "\n") {
		norm.WriteString(strings.Join(strings.Fields(l), " ") + "\n")
	}
	for _, line := range []string{
		// PgBouncer's server connection is the other plaintext session of app.
		"pg_stat_ssl/db plaintext-sessions WARNING - 2 plaintext client sessions: app@magflow 2",
		"pg_stat_ssl/db tls-version OK - no TLS older than 1.2",
		"pgbouncer/pgbouncer plaintext-sessions WARNING - 1 plaintext client connection: app@magflow 1",
		"pgbouncer/pgbouncer server-tls CRITICAL - 1 server connection without TLS: app@magflow 1 (expect_server_tls)",
		`pg_stat_ssl/gone sessions UNKNOWN - postgres "gone": connect: failed to connect to`,
	} {
		if !strings.Contains(norm.String(), line) {
			t.Errorf("report lacks %q", line)
		}
	}
	if strings.Contains(text, secret) || strings.Contains(text, s.Password(testenv.UserMonitor)) {
		t.Errorf("report reveals a password")
	}
	if t.Failed() {
		t.Log(text)
	}
}
