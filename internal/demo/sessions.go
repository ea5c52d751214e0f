package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// writeSecrets writes the monitoring roles' passwords where the demo
// configuration's password_file entries point, and returns the config lines
// of the sessions section.
func writeSecrets(dir string, s *testenv.Stack) (string, error) {
	secrets := filepath.Join(dir, "secrets")
	if err := os.MkdirAll(secrets, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", secrets, err)
	}
	for _, user := range []string{testenv.UserMonitor, testenv.UserStats} {
		path := filepath.Join(secrets, user+"_password")
		if err := os.WriteFile(path, []byte(s.Password(user)+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("write %s: %w", path, err)
		}
	}
	return fmt.Sprintf(`audit:
  live: true                      # the servers above, over the session connections
  files:
    pg_hba: [replica/pg_hba.conf] # deliberate fault: line 2 lets md5 logins in without TLS
sessions:
  postgres:
    - name: db
      dsn: host=127.0.0.1 port=%d dbname=%s user=monitor sslmode=verify-full sslrootcert=certs/ca/ca.crt
      password_file: secrets/monitor_password
  pgbouncer:
    - name: pgbouncer
      dsn: host=127.0.0.1 port=%d dbname=pgbouncer user=stats sslmode=verify-full sslrootcert=certs/ca/ca.crt
      password_file: secrets/stats_password
      expect_server_tls: true
`, s.PostgresPort(), testenv.Database, s.PgBouncerPort()), nil
}

// openClientSessions opens an application session through PgBouncer and one
// straight to PostgreSQL, both with verify-full, so the session metrics have
// something to count. The returned function closes them.
func openClientSessions(ctx context.Context, s *testenv.Stack) (func(), error) {
	var conns []*pgx.Conn
	closeAll := func() {
		for _, c := range conns {
			_ = c.Close(context.Background())
		}
	}
	for _, dsn := range []string{
		s.PgBouncerDSN(testenv.UserApp, testenv.Database, "verify-full") + " default_query_exec_mode=exec",
		s.PostgresDSN(testenv.UserApp, "verify-full"),
	} {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("open a demo client session: %w", err)
		}
		conns = append(conns, c)
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			closeAll()
			return nil, fmt.Errorf("demo client query: %w", err)
		}
	}
	return closeAll, nil
}

// writeReplicaHBA writes the faulty replica's pg_hba.conf, which the audit
// judges offline: its line 2 lets TCP connections in without TLS, with md5.
func writeReplicaHBA(dir string) error {
	folder := filepath.Join(dir, "replica")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", folder, err)
	}
	hba := "hostssl all all 0.0.0.0/0 scram-sha-256\nhost    all all 10.20.0.0/16 md5\n"
	return writeFile(filepath.Join(folder, "pg_hba.conf"), hba, 0o644)
}
