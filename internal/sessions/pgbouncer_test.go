package sessions_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// holdTransactions opens a transaction on each connection, so that
// PgBouncer (pool_mode=transaction) binds one server connection to each,
// and rolls them back at the end of the test.
func holdTransactions(t *testing.T, ctx context.Context, conns []*pgx.Conn) {
	t.Helper()
	for _, c := range conns {
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatalf("begin: %v", err)
		}
		if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("query in transaction: %v", err)
		}
		t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	}
}

// TestPgBouncerCounts: 3 TLS clients and 1 plaintext client of app, 1
// Unix-socket client of monitor. The first login to a pool makes PgBouncer
// open a server connection for it (app's and monitor's); app's two held
// transactions need a second one: 3 TLS server connections. The
// exporter's own admin console session is not counted.
func TestPgBouncerCounts(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true, PgBouncerClientTLSMode: "prefer"})
	tlsClients := testenv.OpenSessions(t, s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full"), 3)
	testenv.OpenSessions(t, s.PgBouncerDSN(testenv.UserApp, testenv.Database, "disable"), 1)
	testenv.OpenSessions(t, s.PgBouncerSocketDSN(testenv.UserMonitor, testenv.Database), 1)
	holdTransactions(t, ctx, tlsClients[:2])

	src := sessions.NewPgBouncer(sessions.Options{Name: "pgbouncer",
		DSN: config.DSN(s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"))})
	t.Cleanup(src.Close)
	want := []sessions.PgBouncerGroup{
		{Side: sessions.SideClient, Transport: sessions.TransportPlaintext, Count: 1},
		{Side: sessions.SideClient, Transport: sessions.TransportSocket, Count: 1},
		{Side: sessions.SideClient, Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Count: 3},
		{Side: sessions.SideServer, Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Count: 3},
	}
	var report *sessions.PgBouncerReport
	eventually(t, "PgBouncer connections", func() error {
		var err error
		if report, err = src.Collect(ctx); err != nil {
			return err
		}
		return diff(report.Groups, want)
	})
	if report.Version != "1.18.0" || report.Unparsed != 0 || report.Server != "pgbouncer" {
		t.Errorf("report: %+v", report)
	}

	byUser := sessions.NewPgBouncer(sessions.Options{Name: "pgbouncer", ByDatabaseUser: true,
		DSN: config.DSN(s.PgBouncerSocketDSN(testenv.UserStats, "pgbouncer"))})
	t.Cleanup(byUser.Close)
	// src's own session is another source's: a TLS client of the console.
	wantByUser := []sessions.PgBouncerGroup{
		{Side: sessions.SideClient, Transport: sessions.TransportPlaintext, Database: testenv.Database, User: testenv.UserApp, Count: 1},
		{Side: sessions.SideClient, Transport: sessions.TransportSocket, Database: testenv.Database, User: testenv.UserMonitor, Count: 1},
		{Side: sessions.SideClient, Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Database: testenv.Database, User: testenv.UserApp, Count: 3},
		{Side: sessions.SideClient, Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Database: "pgbouncer", User: testenv.UserStats, Count: 1},
		{Side: sessions.SideServer, Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Database: testenv.Database, User: testenv.UserApp, Count: 2},
		{Side: sessions.SideServer, Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Database: testenv.Database, User: testenv.UserMonitor, Count: 1},
	}
	eventually(t, "PgBouncer connections by database and user, over the console's socket", func() error {
		r, err := byUser.Collect(ctx)
		if err != nil {
			return err
		}
		return diff(r.Groups, wantByUser)
	})
}

// TestPgBouncerPlaintextServers: with server_tls_sslmode=disable the server
// connections are plaintext.
func TestPgBouncerPlaintextServers(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true, AllowPlaintext: true, PgBouncerServerTLSMode: "disable"})
	holdTransactions(t, ctx, testenv.OpenSessions(t, s.PgBouncerDSN(testenv.UserApp, testenv.Database, "require"), 1))
	src := sessions.NewPgBouncer(sessions.Options{Name: "pgbouncer",
		DSN: config.DSN(s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"))})
	t.Cleanup(src.Close)
	eventually(t, "plaintext server connection", func() error {
		r, err := src.Collect(ctx)
		if err != nil {
			return err
		}
		return diff(r.Groups, []sessions.PgBouncerGroup{
			{Side: sessions.SideClient, Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Count: 1},
			{Side: sessions.SideServer, Transport: sessions.TransportPlaintext, Count: 1},
		})
	})
}

func TestPgBouncerErrors(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := testenv.StartT(t, testenv.Options{WithPgBouncer: true})
	const wrong = "Wrong-Stats-Pass-51c2"
	pwFile := testcerts.WriteFile(t, tempFile(t, "stats_password"), []byte(wrong+"\n"), 0o600)
	admin := withoutPassword(s, s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full"), testenv.UserStats)
	for _, tc := range []struct {
		name string
		opts sessions.Options
		want string
	}{
		{"wrong password", sessions.Options{Name: "pgb", DSN: config.DSN(admin), PasswordFile: pwFile}, "SASL authentication failed"},
		{"not a stats user", sessions.Options{Name: "pgb", DSN: config.DSN(s.PgBouncerDSN(testenv.UserApp, "pgbouncer", "verify-full"))}, "not allowed"},
	} {
		src := sessions.NewPgBouncer(tc.opts)
		_, err := src.Collect(ctx)
		src.Close()
		if err == nil || !strings.HasPrefix(err.Error(), `pgbouncer "pgb": connect: `) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want the source and %q", tc.name, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), s.Password(testenv.UserApp))) {
			t.Errorf("%s: error reveals the password: %v", tc.name, err)
		}
	}
}
