package renew

import (
	"context"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// TestEmptyPasswordFileSameError: an empty password_file is refused in the
// same words by a session source and by a SQL reload, which used to
// connect without a password.
func TestEmptyPasswordFileSameError(t *testing.T) {
	f := newFixture(t, `renew:
  services:
    - name: db
      kind: postgres
      certificates: [postgres]
      reload: {sql: {dsn: "host=127.0.0.1 port=1 user=monitor dbname=postgres sslmode=disable", password_file: secrets/empty.pw}}
sessions:
  postgres:
    - {name: db, dsn: "host=127.0.0.1 port=1 user=monitor dbname=postgres sslmode=disable", password_file: secrets/empty.pw}
`)
	pw := testcerts.WriteFile(t, f.path("secrets/empty.pw"), []byte("\n"), 0o600)
	cfg := f.config(t)
	ctx := context.Background()

	acts, err := serviceActions(cfg, cfg.Renew.Services[0])
	if err != nil {
		t.Fatal(err)
	}
	reloadErr := runActions(ctx, acts, 5*time.Second, func(action, time.Duration) {})
	src := sessions.NewPostgres(sessions.PostgresOptions(cfg)[0])
	defer src.Close()
	_, sessionErr := src.Collect(ctx)
	empty := "password file " + pw + " is empty"
	if want := `service db: SQL "SELECT pg_reload_conf()" on "host=127.0.0.1 port=1 user=monitor dbname=postgres sslmode=disable" (password from secrets/empty.pw): ` + empty; reloadErr == nil || reloadErr.Error() != want {
		t.Errorf("reload: %v\nwant %s", reloadErr, want)
	}
	if want := `postgres "db": connect: ` + empty; sessionErr == nil || sessionErr.Error() != want {
		t.Errorf("session: %v\nwant %s", sessionErr, want)
	}
}
