package sessions_test

import (
	"crypto/x509"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

func TestPostgresCountsPostgres15(t *testing.T) {
	t.Parallel()
	testPostgresCounts(t, "", "15.")
}

func TestPostgresCountsPostgres17(t *testing.T) {
	t.Parallel()
	testPostgresCounts(t, postgres17(t), "17.")
}

// testPostgresCounts opens a known set of sessions and expects exactly
// them: 3 TLS sessions of app, 1 of them with a client certificate, 2 TLS
// sessions of monitor, 2 plaintext sessions of app and 1 Unix-socket
// session of postgres. The exporter's own sessions are not counted.
func testPostgresCounts(t *testing.T, binDir, versionPrefix string) {
	ctx := ctxT(t)
	certs := testenv.WriteTestCerts(t, t.TempDir())
	s := testenv.StartT(t, testenv.Options{PgBinDir: binDir, Certs: certs.Files, AllowPlaintext: true})
	client := testcerts.Issue(t, certs.CA, testcerts.Options{CommonName: testenv.UserApp,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyType: testcerts.ECDSAP256})
	certFile := testcerts.WriteFile(t, tempFile(t, "app.crt"), client.CertPEM, 0o644)
	keyFile := testcerts.WriteFile(t, tempFile(t, "app.key"), client.KeyPEM, 0o600)

	testenv.OpenSessions(t, s.PostgresDSN(testenv.UserApp, "verify-full"), 2)
	testenv.OpenSessions(t, s.PostgresDSN(testenv.UserApp, "verify-full")+" sslcert="+certFile+" sslkey="+keyFile, 1)
	testenv.OpenSessions(t, s.PostgresDSN(testenv.UserMonitor, "require"), 2)
	testenv.OpenSessions(t, s.PostgresDSN(testenv.UserApp, "disable"), 2)
	testenv.OpenSessions(t, s.SocketDSN(testenv.UserPostgres, testenv.Database), 1)

	byUser := sessions.NewPostgres(sessions.Options{Name: "db", ByDatabaseUser: true,
		DSN: config.DSN(s.PostgresDSN(testenv.UserMonitor, "verify-full"))})
	t.Cleanup(byUser.Close)
	want := []sessions.PostgresGroup{
		{Transport: sessions.TransportPlaintext, Database: testenv.Database, User: testenv.UserApp, Count: 2},
		{Transport: sessions.TransportSocket, Database: testenv.Database, User: testenv.UserPostgres, Count: 1},
		{Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Database: testenv.Database, User: testenv.UserApp, Count: 2},
		{Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Database: testenv.Database, User: testenv.UserMonitor, Count: 2},
		{Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, ClientCert: true, Database: testenv.Database, User: testenv.UserApp, Count: 1},
	}
	var report *sessions.PostgresReport
	eventually(t, "sessions by database and user", func() error {
		var err error
		if report, err = byUser.Collect(ctx); err != nil {
			return err
		}
		return diff(report.Groups, want)
	})
	if report.Server != "db" || report.Settings.SSL != "on" || report.Settings.MinProtocolVersion != "TLSv1.2" ||
		!strings.HasPrefix(report.Settings.ServerVersion, versionPrefix) {
		t.Errorf("settings: %+v", report)
	}
	t.Logf("PostgreSQL %s reports %s %s", report.Settings.ServerVersion, report.Groups[2].Version, report.Groups[2].Cipher)

	// Collections at once may make the pool open its second connection:
	// none of the exporter's sessions is counted.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if r, err := byUser.Collect(ctx); err != nil {
				t.Errorf("concurrent collection: %v", err)
			} else if err := diff(r.Groups, want); err != nil {
				t.Errorf("concurrent collection: %v", err)
			}
		})
	}
	wg.Wait()

	// byUser's pooled sessions (one or two: the pool opens a second one
	// only if two collections overlapped) are another source's: they count
	// for totals.
	pooled, err := s.QueryString(ctx, "SELECT count(*)::text FROM pg_stat_activity WHERE application_name LIKE '"+
		sessions.AppNamePrefix+"%'")
	if err != nil {
		t.Fatal(err)
	}
	byUserSessions, err := strconv.Atoi(pooled)
	if err != nil || byUserSessions < 1 || byUserSessions > 2 {
		t.Fatalf("byUser holds %q sessions, want 1 or 2 (%v)", pooled, err)
	}
	totals := sessions.NewPostgres(sessions.Options{Name: "db", DSN: config.DSN(s.PostgresDSN(testenv.UserMonitor, "verify-full"))})
	t.Cleanup(totals.Close)
	wantTotals := []sessions.PostgresGroup{
		{Transport: sessions.TransportPlaintext, Count: 2},
		{Transport: sessions.TransportSocket, Count: 1},
		{Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, Count: 4 + byUserSessions},
		{Transport: sessions.TransportTLS, Version: tls13, Cipher: aes256, ClientCert: true, Count: 1},
	}
	eventually(t, "sessions in total", func() error {
		r, err := totals.Collect(ctx)
		if err != nil {
			return err
		}
		return diff(r.Groups, wantTotals)
	})
}

func TestPostgresPasswordFile(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := testenv.StartT(t, testenv.Options{})
	pwFile := testcerts.WriteFile(t, tempFile(t, "monitor_password"), []byte(s.Password(testenv.UserMonitor)+"\n"), 0o600)
	dsn := withoutPassword(s, s.PostgresDSN(testenv.UserMonitor, "verify-full"), testenv.UserMonitor)
	if strings.Contains(dsn, "password=") {
		t.Fatalf("DSN still has a password: %s", config.RedactDSN(dsn))
	}
	src := sessions.NewPostgres(sessions.Options{Name: "db", DSN: config.DSN(dsn), PasswordFile: pwFile})
	t.Cleanup(src.Close)
	eventually(t, "no other sessions", func() error {
		r, err := src.Collect(ctx)
		if err != nil {
			return err
		}
		return diff(r.Groups, []sessions.PostgresGroup(nil))
	})
}

// TestPostgresWrongPassword: the error names the source and never shows
// the password, whether it came from a password file or from the DSN.
func TestPostgresWrongPassword(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := testenv.StartT(t, testenv.Options{})
	const wrong = "Wrong-Pass-7f3a9c"
	pwFile := testcerts.WriteFile(t, tempFile(t, "pw"), []byte(wrong+"\n"), 0o600)
	plain := withoutPassword(s, s.PostgresDSN(testenv.UserMonitor, "verify-full"), testenv.UserMonitor)
	for name, opts := range map[string]sessions.Options{
		"password file": {Name: "db-file", DSN: config.DSN(plain), PasswordFile: pwFile},
		"DSN password":  {Name: "db-dsn", DSN: config.DSN(plain + " password=" + wrong)},
		"DSN URL":       {Name: "db-url", DSN: config.DSN("postgres://monitor:" + wrong + "@" + s.PostgresAddr() + "/magflow?sslmode=require")},
	} {
		src := sessions.NewPostgres(opts)
		_, err := src.Collect(ctx)
		src.Close()
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, `postgres "`+opts.Name+`": connect: `) || !strings.Contains(msg, "password authentication failed") {
			t.Errorf("%s: error does not name the source and the cause: %s", name, msg)
		}
		if strings.Contains(msg, wrong) || strings.Contains(msg, s.Password(testenv.UserMonitor)) {
			t.Errorf("%s: error reveals the password: %s", name, msg)
		}
	}
	src := sessions.NewPostgres(sessions.Options{Name: "db", DSN: config.DSN(plain), PasswordFile: tempFile(t, "missing")})
	defer src.Close()
	if _, err := src.Collect(ctx); err == nil || !strings.Contains(err.Error(), "read password file") {
		t.Errorf("missing password file: %v", err)
	}
}

// TestPostgresMissingPrivilege: a role without pg_read_all_stats would see
// only its own sessions; the collection fails and says what to grant.
func TestPostgresMissingPrivilege(t *testing.T) {
	t.Parallel()
	s := testenv.StartT(t, testenv.Options{})
	src := sessions.NewPostgres(sessions.Options{Name: "db", DSN: config.DSN(s.PostgresDSN(testenv.UserApp, "verify-full"))})
	t.Cleanup(src.Close)
	r, err := src.Collect(ctxT(t))
	want := `postgres "db": role "app" may not see other roles' sessions in pg_stat_ssl: it needs pg_read_all_stats (GRANT pg_monitor TO app)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	if r == nil || r.Settings.SSL != "on" || r.Groups != nil {
		t.Fatalf("report = %+v, want settings only", r)
	}
}

func TestPostgresDownAndClosed(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	s := testenv.StartT(t, testenv.Options{})
	src := sessions.NewPostgres(sessions.Options{Name: "db", DSN: config.DSN(s.PostgresDSN(testenv.UserMonitor, "verify-full"))})
	if _, err := src.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.StopPostgres(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Collect(ctx); err == nil || !strings.HasPrefix(err.Error(), `postgres "db": connect: `) {
		t.Fatalf("server down: %v", err)
	}
	if err := s.StartPostgres(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Collect(ctx); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	src.Close()
	if _, err := src.Collect(ctx); !errors.Is(err, sessions.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
