package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// rotationConfig is the renew.ca_rotation section of the demo: the link
// check opens a session through PgBouncer as app (the admin console is
// the pgbouncer service's SQL reload).
func rotationConfig(s *testenv.Stack) string {
	return fmt.Sprintf(`  ca_rotation:
    max_phase_age: 7d
    link_check:
      dsn: host=127.0.0.1 port=%d dbname=%s user=app sslmode=verify-full sslrootcert=certs/ca/ca.crt
      password_file: secrets/app_password
`, s.PgBouncerPort(), testenv.Database)
}

// trustClient is a client that verifies the servers with one CA file.
type trustClient struct{ name, rootCert string }

// showRotation rotates the demo's CA step by step with renew --rotate-ca
// and shows, after each step, which of three clients connect: one that
// holds the old CA, one the bundle, one the new CA.
func showRotation(ctx context.Context, pgtls exporter, s *testenv.Stack) error {
	clients := filepath.Join(pgtls.dir, "clients")
	if err := os.MkdirAll(clients, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", clients, err)
	}
	if err := writeFile(filepath.Join(pgtls.dir, "secrets", "app_password"), s.Password(testenv.UserApp)+"\n", 0o600); err != nil {
		return err
	}
	certDir := filepath.Join(pgtls.dir, "certs", "ca")
	old, err := copyInto(clients, filepath.Join(certDir, "ca.crt"), "old-ca.crt")
	if err != nil {
		return err
	}
	fmt.Fprintf(pgtls.out, "\n== CA rotation. A client kept a copy of the CA before: %s\n", old)
	if err := pgtls.run("CA rotation, the plan of the first step",
		[]string{"renew", configFlag, "--rotate-ca", "--dry-run", "--until", "finish"}); err != nil {
		return err
	}
	steps := []struct {
		title string
		argv  []string
	}{
		{"CA rotation, prepare: a new CA, the bundle (old + new CA) installed where the servers read their CA file",
			[]string{"renew", configFlag, "--rotate-ca"}},
		{"CA rotation, switch: every certificate reissued under the new CA, the replica's too",
			[]string{"renew", configFlag, "--rotate-ca"}},
		{"CA rotation, finish: the new CA alone is trusted",
			[]string{"renew", configFlag, "--rotate-ca", "--finish"}},
	}
	var list []trustClient
	for i, step := range steps {
		if err := pgtls.run(step.title, step.argv); err != nil {
			return err
		}
		if i == 0 {
			bundle, err := copyInto(clients, filepath.Join(certDir, "ca-bundle.crt"), "bundle.crt")
			if err != nil {
				return err
			}
			next, err := copyInto(clients, filepath.Join(certDir, "ca-next.crt"), "new-ca.crt")
			if err != nil {
				return err
			}
			list = []trustClient{{"the old CA", old}, {"the bundle", bundle}, {"the new CA", next}}
		}
		printClients(ctx, s, list)
	}
	return nil
}

// printClients shows which clients connect with verify-full, straight to
// PostgreSQL and through PgBouncer.
func printClients(ctx context.Context, s *testenv.Stack, list []trustClient) {
	fmt.Printf("   %-24s %-40s %s\n", "client verifying with", "PostgreSQL", "PgBouncer (-> PostgreSQL)")
	for _, c := range list {
		fmt.Printf("   %-24s %-40s %s\n", c.name, tryConnect(ctx, s, s.PostgresPort(), c.rootCert),
			tryConnect(ctx, s, s.PgBouncerPort(), c.rootCert))
	}
}

// tryConnect connects as app with verify-full and runs SELECT 1: "connects"
// or why not.
func tryConnect(ctx context.Context, s *testenv.Stack, port int, rootCert string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d dbname=%s user=%s password=%s sslmode=verify-full sslrootcert=%s default_query_exec_mode=exec",
		port, testenv.Database, testenv.UserApp, s.Password(testenv.UserApp), rootCert))
	if err == nil {
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, "SELECT 1")
	}
	switch {
	case err == nil:
		return "connects"
	case strings.Contains(err.Error(), "certificate signed by unknown authority"):
		return "refused: unknown authority"
	}
	return "fails: " + err.Error()
}

// copyInto copies a file into dir under name, as a client fetching it.
func copyInto(dir, from, name string) (string, error) {
	data, err := os.ReadFile(from)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", from, err)
	}
	to := filepath.Join(dir, name)
	return to, writeFile(to, string(data), 0o644)
}
