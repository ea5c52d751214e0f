package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/magflow/pgtls_exporter/internal/sessions"
)

var sessionMetricNames = []string{"pgtls_pg_stat_ssl_connections", "pgtls_pg_ssl_settings_info",
	"pgtls_pgbouncer_connections", "pgtls_pgbouncer_version_info", "pgtls_scrape_collector_success"}

type fakePostgres struct {
	name   string
	report *sessions.PostgresReport
	err    error
	closed bool
}

func (f *fakePostgres) Name() string { return f.name }
func (f *fakePostgres) Collect(context.Context) (*sessions.PostgresReport, error) {
	return f.report, f.err
}
func (f *fakePostgres) Close() { f.closed = true }

type fakePgBouncer struct {
	name   string
	report *sessions.PgBouncerReport
	err    error
	closed bool
}

func (f *fakePgBouncer) Name() string { return f.name }
func (f *fakePgBouncer) Collect(context.Context) (*sessions.PgBouncerReport, error) {
	return f.report, f.err
}
func (f *fakePgBouncer) Close() { f.closed = true }

// syncBuffer is a log sink safe for the exporter's concurrent sources.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSessionsExposition compares the exact exposition of reports with and
// without database/user labels, and of failing sources: a source whose
// server is down exports only its failure, a source without privilege
// still exports the settings it read.
func TestSessionsExposition(t *testing.T) {
	tls := func(n int, cert bool, db, user string) sessions.PostgresGroup {
		return sessions.PostgresGroup{Transport: sessions.TransportTLS, Version: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384",
			ClientCert: cert, Database: db, User: user, Count: n}
	}
	db := &fakePostgres{name: "db", report: &sessions.PostgresReport{Server: "db",
		Settings: sessions.Settings{SSL: "on", MinProtocolVersion: "TLSv1.2", ServerVersion: "15.14"},
		Groups:   []sessions.PostgresGroup{{Transport: sessions.TransportPlaintext, Count: 2}, tls(5, false, "", ""), tls(1, true, "", "")}}}
	replica := &fakePostgres{name: "replica", report: &sessions.PostgresReport{Server: "replica", ByDatabaseUser: true,
		Settings: sessions.Settings{SSL: "on", MinProtocolVersion: "TLSv1.3", ServerVersion: "17.2"},
		Groups:   []sessions.PostgresGroup{{Transport: sessions.TransportSocket, Database: "magflow", User: "postgres", Count: 1}, tls(3, false, "magflow", "app")}}}
	noPriv := &fakePostgres{name: "nopriv", report: &sessions.PostgresReport{Server: "nopriv", Settings: sessions.Settings{SSL: "off", ServerVersion: "15.14"}},
		err: errors.New(`postgres "nopriv": role "app" may not see other roles' sessions`)}
	down := &fakePostgres{name: "down", err: errors.New(`postgres "down": connect: connection refused`)}
	pgb := &fakePgBouncer{name: "pgbouncer", report: &sessions.PgBouncerReport{Server: "pgbouncer", Version: "1.18.0",
		Groups: []sessions.PgBouncerGroup{
			{Side: sessions.SideClient, Transport: sessions.TransportSocket, Count: 1},
			{Side: sessions.SideClient, Transport: sessions.TransportTLS, Version: "TLSv1.3", Cipher: "TLS_AES_256_GCM_SHA384", Count: 7},
			{Side: sessions.SideServer, Transport: sessions.TransportPlaintext, Count: 2},
		}}}
	pgbUsers := &fakePgBouncer{name: "pgb2", report: &sessions.PgBouncerReport{Server: "pgb2", Version: "1.25.1", ByDatabaseUser: true,
		Groups: []sessions.PgBouncerGroup{{Side: sessions.SideServer, Transport: sessions.TransportTLS, Version: "TLSv1.2",
			Cipher: "ECDHE-ECDSA-AES256-GCM-SHA384", Database: "magflow", User: "app", Count: 4}}}}
	var logs syncBuffer
	exporter := NewExporter(slog.New(slog.NewTextHandler(&logs, nil)),
		NewPostgresSessions(db, rules.DefaultPolicy()), NewPostgresSessions(replica, rules.DefaultPolicy()), NewPostgresSessions(noPriv, rules.DefaultPolicy()), NewPostgresSessions(down, rules.DefaultPolicy()),
		NewPgBouncerSessions(pgb, false, rules.DefaultPolicy()), NewPgBouncerSessions(pgbUsers, false, rules.DefaultPolicy()))
	want := `# HELP pgtls_pg_ssl_settings_info TLS settings and version of a PostgreSQL server.
# TYPE pgtls_pg_ssl_settings_info gauge
pgtls_pg_ssl_settings_info{server="db",server_version="15.14",ssl="on",ssl_min_protocol_version="TLSv1.2"} 1
pgtls_pg_ssl_settings_info{server="nopriv",server_version="15.14",ssl="off",ssl_min_protocol_version=""} 1
pgtls_pg_ssl_settings_info{server="replica",server_version="17.2",ssl="on",ssl_min_protocol_version="TLSv1.3"} 1
# HELP pgtls_pg_stat_ssl_connections Client backends of a PostgreSQL server by TLS use (ssl: true, false or socket).
# TYPE pgtls_pg_stat_ssl_connections gauge
pgtls_pg_stat_ssl_connections{cipher="",client_cert="false",server="db",ssl="false",version=""} 2
pgtls_pg_stat_ssl_connections{cipher="TLS_AES_256_GCM_SHA384",client_cert="false",server="db",ssl="true",version="TLSv1.3"} 5
pgtls_pg_stat_ssl_connections{cipher="TLS_AES_256_GCM_SHA384",client_cert="true",server="db",ssl="true",version="TLSv1.3"} 1
pgtls_pg_stat_ssl_connections{cipher="",client_cert="false",datname="magflow",server="replica",ssl="socket",usename="postgres",version=""} 1
pgtls_pg_stat_ssl_connections{cipher="TLS_AES_256_GCM_SHA384",client_cert="false",datname="magflow",server="replica",ssl="true",usename="app",version="TLSv1.3"} 3
# HELP pgtls_pgbouncer_connections PgBouncer client and server connections by TLS use (tls: true, false or socket).
# TYPE pgtls_pgbouncer_connections gauge
pgtls_pgbouncer_connections{cipher="",server="pgbouncer",side="client",tls="socket",version=""} 1
pgtls_pgbouncer_connections{cipher="TLS_AES_256_GCM_SHA384",server="pgbouncer",side="client",tls="true",version="TLSv1.3"} 7
pgtls_pgbouncer_connections{cipher="",server="pgbouncer",side="server",tls="false",version=""} 2
pgtls_pgbouncer_connections{cipher="ECDHE-ECDSA-AES256-GCM-SHA384",database="magflow",server="pgb2",side="server",tls="true",user="app",version="TLSv1.2"} 4
# HELP pgtls_pgbouncer_version_info Version of a PgBouncer.
# TYPE pgtls_pgbouncer_version_info gauge
pgtls_pgbouncer_version_info{server="pgb2",version="1.25.1"} 1
pgtls_pgbouncer_version_info{server="pgbouncer",version="1.18.0"} 1
# HELP pgtls_scrape_collector_success Whether a collector succeeded.
# TYPE pgtls_scrape_collector_success gauge
pgtls_scrape_collector_success{collector="pg_stat_ssl/db"} 1
pgtls_scrape_collector_success{collector="pg_stat_ssl/down"} 0
pgtls_scrape_collector_success{collector="pg_stat_ssl/nopriv"} 0
pgtls_scrape_collector_success{collector="pg_stat_ssl/replica"} 1
pgtls_scrape_collector_success{collector="pgbouncer/pgb2"} 1
pgtls_scrape_collector_success{collector="pgbouncer/pgbouncer"} 1
`
	for scrape := 1; scrape <= 3; scrape++ {
		if err := testutil.CollectAndCompare(exporter, strings.NewReader(want), sessionMetricNames...); err != nil {
			t.Fatalf("scrape %d: %v", scrape, err)
		}
	}
	// Each failure is logged once, not once per scrape.
	if n := strings.Count(logs.String(), "collector failed"); n != 2 {
		t.Errorf("%d failure lines after 3 scrapes, want 2:\n%s", n, logs.String())
	}
	down.err = nil
	down.report = &sessions.PostgresReport{Server: "down"}
	if _, err := testutil.CollectAndLint(exporter); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `msg="collector recovered" collector=pg_stat_ssl/down`) {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
	if err := exporter.Close(); err != nil || !db.closed || !pgb.closed {
		t.Errorf("Close: %v; closed db=%v pgbouncer=%v", err, db.closed, pgb.closed)
	}
}

func TestLogChange(t *testing.T) {
	var logs syncBuffer
	e := NewExporter(slog.New(slog.NewTextHandler(&logs, nil)))
	for _, err := range []error{nil, errors.New("a"), errors.New("a"), errors.New("b"), nil, nil, errors.New("b")} {
		e.logChange("s", err)
	}
	got := fmt.Sprint(strings.Count(logs.String(), "collector failed"), strings.Count(logs.String(), "collector recovered"))
	if got != "3 1" {
		t.Errorf("failed/recovered lines = %s, want 3 1:\n%s", got, logs.String())
	}
}
