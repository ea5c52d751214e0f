package rotation

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/regfile"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// Paths are the absolute paths of a CA rotation's files.
type Paths struct {
	CACert, CAKey, NewCert, NewKey, Bundle, State string
	Trust                                         []string
}

// PathsOf resolves the rotation's files: the configured CA, the new CA,
// the bundle and trust files, and the state file. A rotation under way
// keeps the new CA where prepare put it.
func PathsOf(cfg *config.Config, stateDir string, st *renewstate.Rotation) (Paths, error) {
	var p Paths
	var errs []error
	abs := func(configured string) string {
		a, err := filepath.Abs(cfg.Resolve(configured))
		errs = append(errs, err)
		return a
	}
	p.CACert, p.CAKey = abs(cfg.CA.Cert), abs(cfg.CA.Key)
	p.NewCert, p.NewKey, p.Bundle = abs(cfg.RotationNewCert()), abs(cfg.RotationNewKey()), abs(cfg.RotationBundle())
	for _, f := range cfg.Renew.CARotation.TrustFiles {
		p.Trust = append(p.Trust, abs(f))
	}
	p.State = abs(renewstate.RotationPath(stateDir))
	if st != nil && underway(st.Phase) {
		p.NewCert, p.NewKey, p.Bundle = st.NewCert, st.NewKey, st.Bundle
	}
	return p, errors.Join(errs...)
}

// Read reads the rotation state; nil (no error) before the first
// rotation.
func Read(stateDir string) (*renewstate.Rotation, error) {
	st, err := renewstate.ReadRotation(renewstate.RotationPath(stateDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return st, err
}

// PhaseOf is the phase a state says, none without one.
func PhaseOf(st *renewstate.Rotation) string {
	if st == nil {
		return renewstate.PhaseNone
	}
	return st.Phase
}

// caInfo describes a CA certificate for the state file.
func caInfo(c *x509.Certificate) renewstate.CAInfo {
	return renewstate.CAInfo{Subject: c.Subject.String(), Serial: certs.Serial(c), NotAfter: c.NotAfter, SHA256: certs.Fingerprint(c)}
}

// ReadCA reads a CA certificate and its key and checks that they belong
// together and may sign now; want, if set, is the certificate's expected
// SHA-256 fingerprint.
func ReadCA(certPath, keyPath, want string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	certData, err := regfile.Read(certPath, regfile.MaxSmall)
	if err != nil {
		return nil, nil, fmt.Errorf("read new CA certificate: %w", err)
	}
	cert, err := issue.ParseCertificate(certData)
	if err != nil {
		return nil, nil, fmt.Errorf("new CA certificate %s: %w", certPath, err)
	}
	if want != "" && certs.Fingerprint(cert) != want {
		return nil, nil, fmt.Errorf("new CA certificate %s is not the one the rotation created (fingerprint %s, want %s)", certPath, certs.Fingerprint(cert), want)
	}
	keyData, err := regfile.Read(keyPath, regfile.MaxSmall)
	if err != nil {
		return nil, nil, fmt.Errorf("read new CA key: %w", err)
	}
	key, err := certs.ParsePrivateKey(keyData)
	clear(keyData)
	if err != nil {
		return nil, nil, fmt.Errorf("new CA key %s: %w", keyPath, err)
	}
	if err := issue.CheckCA(cert, key, now); err != nil {
		return nil, nil, fmt.Errorf("new CA %s: %w", certPath, err)
	}
	return cert, key, nil
}

// TrustedCerts reads the certificates of a trust file (ca.cert).
func TrustedCerts(path string) ([]*x509.Certificate, error) {
	data, err := regfile.Read(path, regfile.MaxSmall)
	if err != nil {
		return nil, err
	}
	b, err := certs.ParseBundle(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b.Certificates) == 0 {
		return nil, fmt.Errorf("%s holds no certificate", path)
	}
	return b.Certificates, nil
}

// encodeCerts renders certificates as one PEM file, in order.
func encodeCerts(list []*x509.Certificate) []byte {
	var out []byte
	for _, c := range list {
		out = append(out, issue.EncodeCertificate(c)...)
	}
	return out
}

// holds reports whether list has a certificate with the fingerprint.
func holds(list []*x509.Certificate, fingerprint string) bool {
	return slices.ContainsFunc(list, func(c *x509.Certificate) bool { return certs.Fingerprint(c) == fingerprint })
}

// exists reports whether something is at path (a link counts).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
