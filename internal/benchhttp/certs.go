package main

import (
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/issue"
)

// writeConfig writes n entries (writeEntries) and their configuration,
// dir/config.yml, whose path it returns.
func writeConfig(dir string, n int) (string, error) {
	certs, err := writeEntries(dir, n)
	if err != nil {
		return "", fmt.Errorf("write %d entries: %w", n, err)
	}
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(certs), 0o644); err != nil {
		return "", fmt.Errorf("write the configuration: %w", err)
	}
	return cfg, nil
}

// writeEntries writes an ECDSA P-256 CA and n certificate+key entries
// (ECDSA P-256, keys from a small pool, every certificate distinct) under
// dir, certificates in dir/crt and keys in dir/key (so that peers can watch
// a folder of certificates), and returns the certificates part of a
// configuration.
func writeEntries(dir string, n int) (string, error) {
	for _, sub := range []string{"crt", "key"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return "", err
		}
	}
	caKey, err := issue.GenerateKey(issue.ECDSAP256)
	if err != nil {
		return "", err
	}
	now := time.Now()
	ca, err := issue.Sign(issue.Request{CommonName: "Bench CA", IsCA: true, NotBefore: now.Add(-time.Hour),
		NotAfter: now.AddDate(10, 0, 0), Public: caKey.Public()}, nil, caKey)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), issue.EncodeCertificate(ca), 0o644); err != nil {
		return "", err
	}
	var keys []crypto.Signer
	var keyPEMs [][]byte
	for range 8 {
		k, err := issue.GenerateKey(issue.ECDSAP256)
		if err != nil {
			return "", err
		}
		pemKey, err := issue.EncodeKey(k, issue.PKCS8)
		if err != nil {
			return "", err
		}
		keys, keyPEMs = append(keys, k), append(keyPEMs, pemKey)
	}
	var yml strings.Builder
	yml.WriteString("ca: {cert: ca.crt}\ncertificates:\n")
	for i := range n {
		name := fmt.Sprintf("svc%05d", i)
		leaf, err := issue.Sign(issue.Request{CommonName: name, DNSNames: []string{name, "localhost"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), Public: keys[i%len(keys)].Public()}, ca, caKey)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, "crt", name+".crt"), issue.EncodeCertificate(leaf), 0o644); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, "key", name+".key"), keyPEMs[i%len(keys)], 0o600); err != nil {
			return "", err
		}
		fmt.Fprintf(&yml, "  - {name: %s, cert: crt/%s.crt, key: key/%s.key, expected_names: [%s]}\n", name, name, name, name)
	}
	return yml.String(), nil
}
