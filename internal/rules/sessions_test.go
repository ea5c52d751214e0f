package rules

import (
	"errors"
	"reflect"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/sessions"
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
		{Source: SourceSessions, Entry: "pg_stat_ssl/db", Check: CheckSessions, Status: OK,
			Detail: "PostgreSQL 15.14, ssl=on, ssl_min_protocol_version=TLSv1.2: 11 client sessions: 7 TLS, 3 plaintext, 1 socket"},
		{Source: SourceSessions, Entry: "pg_stat_ssl/db", Check: CheckPlaintext, Code: PlaintextSessions, Status: Warning, Detail: "3 plaintext client sessions: app@magflow 2, etl@dw 1"},
		{Source: SourceSessions, Entry: "pg_stat_ssl/db", Check: CheckTLSVersion, Code: OldTLSVersion, Status: Critical, Detail: "3 connections use TLS older than 1.2: TLSv1.1 legacy@magflow 3"},
	}
	if got := PostgresFindings("db", r, nil, DefaultPolicy()); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%+v\nwant\n%+v", got, want)
	}
	healthy := &sessions.PostgresReport{Settings: sessions.Settings{SSL: "on", ServerVersion: "17.2"}}
	want = []Finding{
		{Source: SourceSessions, Entry: "pg_stat_ssl/db", Check: CheckSessions, Status: OK, Detail: "PostgreSQL 17.2, ssl=on, ssl_min_protocol_version=-: 0 client sessions: 0 TLS, 0 plaintext, 0 socket"},
		{Source: SourceSessions, Entry: "pg_stat_ssl/db", Check: CheckPlaintext, Status: OK, Detail: "no plaintext client sessions"},
		{Source: SourceSessions, Entry: "pg_stat_ssl/db", Check: CheckTLSVersion, Status: OK, Detail: "no TLS older than 1.2"},
	}
	if got := PostgresFindings("db", healthy, nil, DefaultPolicy()); !reflect.DeepEqual(got, want) {
		t.Errorf("healthy findings:\n%+v\nwant\n%+v", got, want)
	}
	got := PostgresFindings("db", nil, errors.New(`postgres "db": connect: connection refused`), DefaultPolicy())
	if len(got) != 1 || got[0].Status != Unknown || got[0].Code != SessionSourceFailed || got[0].Detail != `postgres "db": connect: connection refused` {
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
		server := Finding{Source: SourceSessions, Entry: "pgbouncer/pgb", Check: CheckServerTLS, Code: PlaintextServerConnections,
			Status: Warning, Detail: "2 server connections without TLS: app@magflow 2"}
		if expect {
			server.Code, server.Status, server.Detail = ServerTLSExpected, Critical, server.Detail+" (expect_server_tls)"
		}
		want := []Finding{
			{Source: SourceSessions, Entry: "pgbouncer/pgb", Check: CheckSessions, Status: OK,
				Detail: "PgBouncer 1.18.0: 8 clients: 5 TLS, 1 plaintext, 2 socket; 2 server connections: 0 TLS, 2 plaintext, 0 socket"},
			{Source: SourceSessions, Entry: "pgbouncer/pgb", Check: CheckPlaintext, Code: PlaintextSessions, Status: Warning, Detail: "1 plaintext client connection: app@magflow 1"},
			server,
			{Source: SourceSessions, Entry: "pgbouncer/pgb", Check: CheckTLSVersion, Status: OK, Detail: "no TLS older than 1.2"},
		}
		if got := PgBouncerFindings("pgb", expect, r, nil, DefaultPolicy()); !reflect.DeepEqual(got, want) {
			t.Errorf("expect_server_tls=%v:\n%+v\nwant\n%+v", expect, got, want)
		}
	}
}
