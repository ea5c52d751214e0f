package main

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/magflow/pgtls_exporter/internal/issue"
)

const demoConfig = `# Demo configuration written by make demo.
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
  - name: replica
    cert: certs/replica.crt
    key: certs/replica.key
    expected_names: [replica, localhost]
`

// writeCertSet writes the demo CA and certificates under dir and returns
// the config path.
func writeCertSet(dir string, now time.Time) (string, error) {
	certsDir := filepath.Join(dir, "certs")
	caKey, err := issue.GenerateKey(issue.ECDSAP256)
	if err != nil {
		return "", err
	}
	ca, err := issue.Sign(issue.Request{CommonName: "MagFlow Demo CA", IsCA: true, Public: caKey.Public(),
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0)}, nil, caKey)
	if err != nil {
		return "", err
	}
	if err := writePair(filepath.Join(certsDir, "ca", "ca"), ca, caKey, 0o600, false); err != nil {
		return "", err
	}
	leaves := []struct {
		name     string
		names    []string
		validFor time.Duration
		keyMode  os.FileMode
	}{
		{"pgbouncer", []string{"pgbouncer", "localhost", "127.0.0.1"}, 365 * 24 * time.Hour, 0o600},
		{"postgres", []string{"postgres", "localhost", "127.0.0.1"}, 365 * 24 * time.Hour, 0o644},
		{"replica", []string{"replica", "localhost"}, 20 * 24 * time.Hour, 0o600},
	}
	for _, l := range leaves {
		key, err := issue.GenerateKey(issue.ECDSAP256)
		if err != nil {
			return "", err
		}
		dns, ips := issue.SplitNames(l.names)
		cert, err := issue.Sign(issue.Request{CommonName: l.name, DNSNames: dns, IPAddresses: ips, Public: key.Public(),
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(l.validFor)}, ca, caKey)
		if err != nil {
			return "", err
		}
		if err := writePair(filepath.Join(certsDir, l.name), cert, key, l.keyMode, l.name != "replica"); err != nil {
			return "", err
		}
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(demoConfig), 0o644); err != nil {
		return "", fmt.Errorf("write demo config: %w", err)
	}
	return cfgPath, nil
}

// writePair writes base.crt, base.key and, when combined, base-combined.pem.
func writePair(base string, cert *x509.Certificate, key crypto.Signer, keyMode os.FileMode, combined bool) error {
	keyPEM, err := issue.EncodeKey(key, issue.PKCS8)
	if err != nil {
		return err
	}
	certPEM := issue.EncodeCertificate(cert)
	files := []struct {
		path string
		data []byte
		mode os.FileMode
	}{{base + ".crt", certPEM, 0o644}, {base + ".key", keyPEM, keyMode}}
	if combined {
		files = append(files, struct {
			path string
			data []byte
			mode os.FileMode
		}{base + "-combined.pem", append(append([]byte{}, certPEM...), keyPEM...), 0o600})
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(f.path), err)
		}
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
		if err := os.Chmod(f.path, f.mode); err != nil {
			return fmt.Errorf("chmod %s: %w", f.path, err)
		}
	}
	return nil
}
