package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// demoConfig describes the demo set-up in the exporter's configuration.
// Before the servers run (s nil) it has no targets and no services: renew
// --init --no-reload issues the first certificates from it.
func demoConfig(s *testenv.Stack, keyOwner string) string {
	owner := ""
	if keyOwner != "" {
		owner = "\n    key_owner: " + keyOwner
	}
	cfg := fmt.Sprintf(`# Demo configuration written by make demo.
ca:
  cert: certs/ca/ca.crt
  key: certs/ca/ca.key
certificates:
  - name: pgbouncer
    cert: certs/pgbouncer.crt
    key: certs/pgbouncer.key
    combined: certs/pgbouncer-combined.pem   # what PgBouncer reads, as in the reference compose set-up
    expected_names: [pgbouncer, localhost, 127.0.0.1]%s
  - name: postgres
    cert: certs/postgres.crt
    key: certs/postgres.key
    combined: certs/postgres-combined.pem
    expected_names: [postgres, db, localhost, 127.0.0.1]%s
  - name: replica                 # deliberate faults: expires in 20 days, 0644 key, no SAN for "replica-db"
    cert: certs/replica.crt
    key: certs/replica.key
    expected_names: [replica, replica-db]
`, owner, owner)
	if s == nil {
		return cfg + "renew:\n  state_dir: renew-state\n"
	}
	return cfg + fmt.Sprintf(`targets:
  - name: pgbouncer
    address: %q
    server_name: pgbouncer
    certificate: pgbouncer
  - name: postgres
    address: %q
    server_name: db
    certificate: postgres
renew:
  state_dir: renew-state
  verify_timeout: 10s
  services:
    - name: db
      kind: postgres
      certificates: [postgres]
      reload:
        sql: {dsn: "host=%s port=%d dbname=postgres user=postgres sslmode=disable"}
    - name: pgbouncer
      kind: pgbouncer
      certificates: [pgbouncer]
      reload:
        sql: {dsn: "host=%s port=%d dbname=pgbouncer user=stats sslmode=disable", password_file: secrets/stats_password}
`, s.PgBouncerAddr(), s.PostgresAddr(), s.SocketDir(), s.PostgresPort(), s.PgBouncerSocketDir(), s.PgBouncerPort())
}

// certFiles are the files the servers read, in the reference layout.
func certFiles(dir string) testenv.CertFiles {
	return testenv.CertFiles{
		CA:           filepath.Join(dir, "ca", "ca.crt"),
		PostgresCert: filepath.Join(dir, "postgres.crt"), PostgresKey: filepath.Join(dir, "postgres.key"),
		// PgBouncer reads the combined PEM for both, as in the reference docker compose set-up.
		PgBouncerCert: filepath.Join(dir, "pgbouncer-combined.pem"), PgBouncerKey: filepath.Join(dir, "pgbouncer-combined.pem"),
	}
}

// replicaFaults are the deliberate faults of the replica entry that
// writeFaultyReplica writes.
const replicaFaults = "20 days left, 0644 key, no SAN replica-db"

// writeFaultyReplica signs the replica entry with the CA in dir/ca, with
// deliberate faults for check to find (replicaFaults), and returns the
// certificate.
func writeFaultyReplica(dir string, now time.Time) (*x509.Certificate, error) {
	cert, keyPEM, err := issueFromDemoCA(dir, issue.ServerRequest{CommonName: "replica", Names: []string{"replica", "localhost"},
		Validity: 20 * 24 * time.Hour}, now)
	if err != nil {
		return nil, fmt.Errorf("the replica certificate: %w", err)
	}
	for path, f := range map[string]struct {
		data []byte
		mode os.FileMode
	}{"replica.crt": {issue.EncodeCertificate(cert), 0o644}, "replica.key": {keyPEM, 0o644}} {
		p := filepath.Join(dir, path)
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return nil, fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			return nil, fmt.Errorf("chmod %s: %w", p, err)
		}
	}
	return cert, nil
}

// issueFromDemoCA issues a server certificate with the CA in dir/ca, and
// returns it with its key in PEM.
func issueFromDemoCA(dir string, req issue.ServerRequest, now time.Time) (*x509.Certificate, []byte, error) {
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca", "ca.crt"))
	if err != nil {
		return nil, nil, fmt.Errorf("read demo CA: %w", err)
	}
	ca, err := issue.ParseCertificate(caPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("demo CA: %w", err)
	}
	caKeyPEM, err := os.ReadFile(filepath.Join(dir, "ca", "ca.key"))
	if err != nil {
		return nil, nil, fmt.Errorf("read demo CA key: %w", err)
	}
	caKey, err := certs.ParsePrivateKey(caKeyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("demo CA key: %w", err)
	}
	cert, key, err := issue.NewServerCertificate(req, ca, caKey, now)
	if err != nil {
		return nil, nil, fmt.Errorf("issue: %w", err)
	}
	keyPEM, err := issue.EncodeKey(key, issue.PKCS8)
	if err != nil {
		return nil, nil, fmt.Errorf("encode the key: %w", err)
	}
	return cert, keyPEM, nil
}

// keyOwner is the key_owner for the servers' keys: the postgres account
// the servers run as under root; empty otherwise (they run as the caller).
func keyOwner() string {
	if os.Geteuid() == 0 {
		return "postgres"
	}
	return ""
}
