package renew

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// rotationLink is the rotation section with a link check through
// PgBouncer as app; its admin console is the pgbouncer service's reload.
const rotationLink = `  ca_rotation:
    link_check:
      dsn: "host=127.0.0.1 port={{pgbport}} dbname=magflow user=app sslmode=verify-full sslrootcert=certs/ca/ca.crt"
      password_file: app.pw
`

// rotationLinkAdmin is rotationLink naming the admin console itself.
const rotationLinkAdmin = rotationLink + `      admin_dsn: "host={{pgbsock}} port={{pgbport}} dbname=pgbouncer user=stats sslmode=disable"
      admin_password_file: stats.pw
`

// newRotationFixture is a stack fixture configured for CA rotations
// (services reloading over SQL, the link check through PgBouncer).
func newRotationFixture(t testing.TB) *stackFixture {
	t.Helper()
	sf := newStackFixture(t, time.Now().Add(300*24*time.Hour))
	testcerts.WriteFile(t, sf.path("app.pw"), []byte(sf.s.Password(testenv.UserApp)+"\n"), 0o600)
	sf.configure(t, "", sqlServices, rotationLink)
	return sf
}

// rotation reads the fixture's rotation state ("none" without one).
func (sf *stackFixture) rotation(t testing.TB) *renewstate.Rotation {
	t.Helper()
	st, err := rotation.Read(sf.config(t).RenewStateDir())
	if err != nil {
		t.Fatal(err)
	}
	if st == nil {
		return &renewstate.Rotation{Phase: renewstate.PhaseNone}
	}
	return st
}

// rotate runs a rotation step in-process and requires its exit code.
func (sf *stackFixture) rotate(t testing.TB, want int, opts Options) string {
	t.Helper()
	opts.RotateCA = true
	code, out := sf.run(t, opts)
	if code != want {
		t.Fatalf("renew --rotate-ca %+v: exit %d, want %d\n%s", opts, code, want, out)
	}
	return out
}

// keep copies a file into the test's temp folder (what a client holds).
func keep(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return testcerts.WriteFile(t, filepath.Join(t.TempDir(), filepath.Base(path)), data, 0o644)
}

// unknownAuthority is how Go's TLS refuses a chain of a CA it does not trust.
const unknownAuthority = "certificate signed by unknown authority"

// connect opens a session as app with verify-full against rootCert, to
// PostgreSQL or through PgBouncer, and runs SELECT 1.
func (sf *stackFixture) connect(port int, rootCert string) error {
	dsn := fmt.Sprintf("host=127.0.0.1 port=%d dbname=%s user=%s password=%s sslmode=verify-full sslrootcert=%s connect_timeout=5",
		port, testenv.Database, testenv.UserApp, sf.s.Password(testenv.UserApp), rootCert)
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	pc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// client is a client that trusts one CA file.
type client struct {
	name, rootCert string
}

// requireClients checks which clients connect, straight to PostgreSQL and
// through PgBouncer (and so through PgBouncer's own TLS link to
// PostgreSQL): those in ok connect, the others are refused for an unknown
// authority.
func (sf *stackFixture) requireClients(t testing.TB, step string, ok []client, refused []client) {
	t.Helper()
	for _, port := range []int{sf.s.PostgresPort(), sf.s.PgBouncerPort()} {
		for _, c := range ok {
			if err := sf.connect(port, c.rootCert); err != nil {
				t.Errorf("%s: the client holding %s is refused on port %d: %v", step, c.name, port, err)
			}
		}
		for _, c := range refused {
			if err := sf.connect(port, c.rootCert); err == nil || !strings.Contains(err.Error(), unknownAuthority) {
				t.Errorf("%s: the client holding %s on port %d: %v, want a refusal for an unknown authority", step, c.name, port, err)
			}
		}
	}
}

// requirePhase checks the rotation's phase and that no transaction waits.
func (sf *stackFixture) requirePhase(t testing.TB, want string) *renewstate.Rotation {
	t.Helper()
	if journalExists(t, sf.fixture) {
		t.Fatal("a journal waits")
	}
	st := sf.rotation(t)
	if st.Phase != want {
		t.Fatalf("rotation phase %s, want %s", st.Phase, want)
	}
	return st
}

// requireHealthy checks what must hold after every step: every entry
// consistent and served, verify-full passing, and PgBouncer reaching
// PostgreSQL over a new TLS connection.
func (sf *stackFixture) requireHealthy(t testing.TB) map[string]string {
	t.Helper()
	served := sf.requireServedMatchesFiles(t)
	lc, err := resolveLinkCheck(sf.config(t))
	if err != nil || lc == nil {
		t.Fatalf("link check: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if tls, err := lc.once(ctx); err != nil || !tls {
		t.Fatalf("PgBouncer -> PostgreSQL: tls %v, %v", tls, err)
	}
	return served
}
