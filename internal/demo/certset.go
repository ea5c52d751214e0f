package main

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// demoConfig describes the demo set-up in the exporter's configuration.
func demoConfig(s *testenv.Stack) string {
	return fmt.Sprintf(`# Demo configuration written by make demo.
ca:
  cert: certs/ca/ca.crt
  key: certs/ca/ca.key
certificates:
  - name: pgbouncer
    cert: certs/pgbouncer.crt
    key: certs/pgbouncer.key
    combined: certs/pgbouncer-combined.pem
    expected_names: [pgbouncer, localhost, 127.0.0.1]
  - name: postgres
    cert: certs/postgres.crt
    key: certs/postgres.key
    combined: certs/postgres-combined.pem
    expected_names: [postgres, db, localhost, 127.0.0.1]
    key_owner: postgres
  - name: replica                 # deliberate faults: expires in 20 days, 0644 key, no SAN for "replica-db"
    cert: certs/replica.crt
    key: certs/replica.key
    expected_names: [replica, replica-db]
targets:
  - name: pgbouncer
    address: %q
    server_name: pgbouncer
    certificate: pgbouncer
  - name: postgres
    address: %q
    server_name: db
    certificate: postgres
`, s.PgBouncerAddr(), s.PostgresAddr())
}

type leaf struct {
	name     string
	names    []string
	validFor time.Duration
	keyMode  os.FileMode
}

// writeCertSet issues the demo CA and certificates in the reference layout
// under dir and returns the files the servers read.
func writeCertSet(dir string, now time.Time) (testenv.CertFiles, error) {
	caKey, err := issue.GenerateKey(issue.ECDSAP256)
	if err != nil {
		return testenv.CertFiles{}, err
	}
	ca, err := issue.Sign(issue.Request{CommonName: "MagFlow Demo CA", IsCA: true, Public: caKey.Public(),
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0)}, nil, caKey)
	if err != nil {
		return testenv.CertFiles{}, err
	}
	if err := writePair(filepath.Join(dir, "ca", "ca"), ca, caKey, 0o600, false); err != nil {
		return testenv.CertFiles{}, err
	}
	for _, l := range []leaf{
		{"pgbouncer", []string{"pgbouncer", "localhost", "127.0.0.1"}, 365 * 24 * time.Hour, 0o600},
		{"postgres", []string{"postgres", "db", "localhost", "127.0.0.1"}, 365 * 24 * time.Hour, 0o600},
		{"replica", []string{"replica", "localhost"}, 20 * 24 * time.Hour, 0o644},
	} {
		key, err := issue.GenerateKey(issue.ECDSAP256)
		if err != nil {
			return testenv.CertFiles{}, err
		}
		dns, ips := issue.SplitNames(l.names)
		cert, err := issue.Sign(issue.Request{CommonName: l.name, DNSNames: dns, IPAddresses: ips, Public: key.Public(),
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(l.validFor)}, ca, caKey)
		if err != nil {
			return testenv.CertFiles{}, err
		}
		if err := writePair(filepath.Join(dir, l.name), cert, key, l.keyMode, l.name != "replica"); err != nil {
			return testenv.CertFiles{}, err
		}
	}
	return testenv.CertFiles{
		CA:           filepath.Join(dir, "ca", "ca.crt"),
		PostgresCert: filepath.Join(dir, "postgres.crt"), PostgresKey: filepath.Join(dir, "postgres.key"),
		// PgBouncer reads the combined PEM for both, as in the reference docker compose set-up.
		PgBouncerCert: filepath.Join(dir, "pgbouncer-combined.pem"), PgBouncerKey: filepath.Join(dir, "pgbouncer-combined.pem"),
	}, nil
}

// writePair writes base.crt, base.key and, when combined, base-combined.pem.
func writePair(base string, cert *x509.Certificate, key crypto.Signer, keyMode os.FileMode, combined bool) error {
	keyPEM, err := issue.EncodeKey(key, issue.PKCS8)
	if err != nil {
		return err
	}
	certPEM := issue.EncodeCertificate(cert)
	files := map[string][]byte{base + ".crt": certPEM, base + ".key": keyPEM}
	modes := map[string]os.FileMode{base + ".crt": 0o644, base + ".key": keyMode}
	if combined {
		files[base+"-combined.pem"] = append(append([]byte{}, certPEM...), keyPEM...)
		modes[base+"-combined.pem"] = 0o600
	}
	for path, data := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
		}
		if err := os.WriteFile(path, data, modes[path]); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if err := os.Chmod(path, modes[path]); err != nil {
			return fmt.Errorf("chmod %s: %w", path, err)
		}
	}
	return nil
}
