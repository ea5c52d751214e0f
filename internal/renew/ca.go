package renew

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// CAPlan is the state of the CA and what renew does with it.
type CAPlan struct {
	// CertPath and KeyPath are as configured.
	CertPath, KeyPath string
	// Create is set when --init creates a new CA (none exists).
	Create bool
	// Subject and NotAfter describe the existing CA.
	Subject  string
	NotAfter time.Time
	// Err is why no certificate can be signed.
	Err      error
	Warnings []string
}

// signer is a CA ready to sign: its certificate and key. The key stays in
// memory only for the run and is never logged or printed.
type signer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// loadCA inspects the configured CA files. It returns the signer when an
// existing CA is usable; with init and no CA at all it plans a new one.
func loadCA(cfg *config.Config, init bool, now time.Time) (CAPlan, *signer) {
	p := CAPlan{CertPath: cfg.CA.Cert, KeyPath: cfg.CA.Key}
	if cfg.CA.Key == "" {
		p.Err = errors.New("ca.key is not configured: renew needs the CA key to sign")
		return p, nil
	}
	certPath, keyPath := cfg.Resolve(cfg.CA.Cert), cfg.Resolve(cfg.CA.Key)
	certData, certErr := regfile.Read(certPath, regfile.MaxSmall)
	keyInfo, keyErr := os.Stat(keyPath)
	certMissing, keyMissing := errors.Is(certErr, fs.ErrNotExist), errors.Is(keyErr, fs.ErrNotExist)
	switch {
	case certMissing && keyMissing && init:
		p.Create = true
		return p, nil
	case certMissing && keyMissing:
		p.Err = fmt.Errorf("no CA: neither %s nor %s exists; run `pgtls_exporter renew --init` to create one", cfg.CA.Cert, cfg.CA.Key)
		return p, nil
	case certMissing:
		p.Err = fmt.Errorf("CA certificate %s is missing but its key %s exists: refusing to create a new CA over an existing key; restore the certificate", cfg.CA.Cert, cfg.CA.Key)
		return p, nil
	case keyMissing:
		p.Err = fmt.Errorf("CA key %s is missing, so nothing can be signed; a new CA would break every client that trusts %s, so renew creates none (--init only acts when neither file exists): restore the key from a backup",
			cfg.CA.Key, cfg.CA.Cert)
		return p, nil
	case certErr != nil:
		p.Err = fmt.Errorf("read CA certificate %s: %w", cfg.CA.Cert, certErr)
		return p, nil
	case keyErr != nil:
		p.Err = fmt.Errorf("CA key %s: %w", cfg.CA.Key, keyErr)
		return p, nil
	}
	cert, err := issue.ParseCertificate(certData)
	if err != nil {
		p.Err = fmt.Errorf("CA certificate %s: %w", cfg.CA.Cert, err)
		return p, nil
	}
	p.Subject, p.NotAfter = cert.Subject.String(), cert.NotAfter
	if warning := caKeyModeWarning(cfg.CA.Key, keyInfo); warning != "" {
		p.Warnings = append(p.Warnings, warning)
	}
	keyData, err := regfile.Read(keyPath, regfile.MaxSmall)
	if err != nil {
		p.Err = fmt.Errorf("read CA key %s: %w", cfg.CA.Key, err)
		return p, nil
	}
	key, err := certs.ParsePrivateKey(keyData)
	clear(keyData)
	if err != nil {
		p.Err = fmt.Errorf("CA key %s: %w", cfg.CA.Key, err)
		return p, nil
	}
	if err := issue.CheckCA(cert, key, now); err != nil {
		p.Err = fmt.Errorf("CA %s: %w", cfg.CA.Cert, err)
		return p, nil
	}
	validity, before := cfg.Renew.ValidityDuration(), cfg.RenewBefore()
	switch {
	case cert.NotAfter.Before(now.Add(before)):
		p.Warnings = append(p.Warnings, fmt.Sprintf("the CA itself expires on %s, within renew_before (%s): certificates signed now end with it and every run renews them again; plan a new CA",
			rotation.Day(cert.NotAfter), cfg.WrittenDuration("renew.renew_before", before)))
	case cert.NotAfter.Before(now.Add(validity)):
		p.Warnings = append(p.Warnings, fmt.Sprintf("new certificates end with the CA on %s, before the configured validity (%s)",
			rotation.Day(cert.NotAfter), cfg.WrittenDuration("renew.validity", validity)))
	}
	return p, &signer{cert: cert, key: key}
}

// createCA makes the CA planned by --init, in memory.
func createCA(cfg *config.Config, now time.Time) (*signer, error) {
	rc := cfg.Renew.CA
	cert, key, err := issue.NewCA(rc.CommonNameOrDefault(), rc.KeyTypeOrDefault(), now, rc.CAValidityDuration())
	if err != nil {
		return nil, err
	}
	return &signer{cert: cert, key: key}, nil
}

// caKeyModeWarning judges the CA key file by the key-file rule every key is
// judged by (certs.JudgeKeyFile, PostgreSQL's), for the file's owner: ""
// when it passes.
func caKeyModeWarning(path string, fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	v := certs.JudgeKeyFile(certs.FileFacts{Mode: fi.Mode(), UID: st.Uid, GID: st.Gid}, certs.ServerUser{UID: st.Uid})
	if v.Accepted {
		return ""
	}
	return fmt.Sprintf("CA key %s has mode %04o: %s", path, fi.Mode().Perm(), v.Reason)
}
