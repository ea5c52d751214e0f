package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/sessions"
)

// TestSingularCounts: a count of one takes the singular, everywhere.
func TestSingularCounts(t *testing.T) {
	pg := PostgresFindings("db", &sessions.PostgresReport{Settings: sessions.Settings{SSL: "on", ServerVersion: "15.14"},
		Groups: []sessions.PostgresGroup{{Transport: sessions.TransportTLS, Version: "TLSv1.1", Database: "magflow", User: "app", Count: 1}}}, nil, DefaultPolicy())
	bouncer := PgBouncerFindings("pgb", false, &sessions.PgBouncerReport{Version: "1.18.0", Groups: []sessions.PgBouncerGroup{
		{Side: sessions.SideClient, Transport: sessions.TransportPlaintext, Database: "magflow", User: "app", Count: 1},
		{Side: sessions.SideServer, Transport: sessions.TransportPlaintext, Database: "magflow", User: "app", Count: 1},
	}}, nil, DefaultPolicy())
	var got []string
	for _, f := range append(pg, bouncer...) {
		got = append(got, f.Detail)
	}
	want := []string{
		"PostgreSQL 15.14, ssl=on, ssl_min_protocol_version=-: 1 client session: 1 TLS, 0 plaintext, 0 socket",
		"no plaintext client sessions",
		"1 connection uses TLS older than 1.2: TLSv1.1 app@magflow 1",
		"PgBouncer 1.18.0: 1 client: 0 TLS, 1 plaintext, 0 socket; 1 server connection: 0 TLS, 1 plaintext, 0 socket",
		"1 plaintext client connection: app@magflow 1",
		"1 server connection without TLS: app@magflow 1",
		"no TLS older than 1.2",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("details:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "0 minutes", 90 * time.Second: "1 minute", 59 * time.Minute: "59 minutes",
		time.Hour: "1 hour", 47 * time.Hour: "47 hours", 48 * time.Hour: "2 days", 400 * 24 * time.Hour: "400 days",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
