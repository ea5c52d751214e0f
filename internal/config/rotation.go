package config

import (
	"fmt"
	"github.com/magflow/pgtls_exporter/internal/rules/defaults"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// CARotation configures `renew --rotate-ca`: where the new CA and the
// trust bundle go, which other files hold the trusted CAs, and how the
// PgBouncer → PostgreSQL link is proven.
type CARotation struct {
	// NewCert and NewKey are where prepare writes the new CA (never over a
	// file); finish installs it as ca.cert and ca.key and removes them.
	// Default: beside ca.cert and ca.key, NAME-next.EXT.
	NewCert string `yaml:"new_cert"`
	NewKey  string `yaml:"new_key"`
	// Bundle receives the trust bundle (old and new CA) for clients to
	// fetch; after finish it holds the new CA alone. Default: beside
	// ca.cert, NAME-bundle.EXT.
	Bundle string `yaml:"bundle"`
	// TrustFiles are more files on this host that hold the trusted CA and
	// that servers read (ssl_ca_file, client_tls_ca_file,
	// server_tls_ca_file kept apart from ca.cert); they get what ca.cert
	// gets.
	TrustFiles []string `yaml:"trust_files"`
	// CommonName of the new CA; default renew.ca.common_name and the date.
	CommonName string `yaml:"common_name"`
	// MaxPhaseAge: a rotation left prepared or switched longer than this
	// is ca_rotation_stalled (default 7d).
	MaxPhaseAge model.Duration `yaml:"max_phase_age"`
	// LinkCheck proves that PgBouncer still reaches PostgreSQL with TLS.
	LinkCheck *LinkCheck `yaml:"link_check"`
}

// LinkCheck is a session opened through PgBouncer to PostgreSQL after
// every phase: its server connection must be one PgBouncer made after the
// reload, so it was verified with the TLS files loaded now.
type LinkCheck struct {
	// DSN reaches a database through PgBouncer (no password in it).
	DSN          string `yaml:"dsn"`
	PasswordFile string `yaml:"password_file"`
	// AdminDSN is PgBouncer's admin console, where RECONNECT makes
	// PgBouncer open new server connections; default: the reload.sql of
	// the renew service of kind pgbouncer.
	AdminDSN          string `yaml:"admin_dsn"`
	AdminPasswordFile string `yaml:"admin_password_file"`
}

// MaxPhaseAgeDuration is max_phase_age with its default.
func (r CARotation) MaxPhaseAgeDuration() time.Duration {
	if r.MaxPhaseAge > 0 {
		return time.Duration(r.MaxPhaseAge)
	}
	return defaults.MaxPhaseAge
}

// RotationNewCert is where the new CA certificate goes, as configured
// or derived (relative paths are resolved with Resolve).
func (c *Config) RotationNewCert() string {
	return orBeside(c.Renew.CARotation.NewCert, c.CA.Cert, "-next")
}

// RotationNewKey is where the new CA key goes.
func (c *Config) RotationNewKey() string {
	return orBeside(c.Renew.CARotation.NewKey, c.CA.Key, "-next")
}

// RotationBundle is where the trust bundle goes.
func (c *Config) RotationBundle() string {
	return orBeside(c.Renew.CARotation.Bundle, c.CA.Cert, "-bundle")
}

// orBeside is configured, or base's path with suffix before its extension
// (certs/ca/ca.crt: certs/ca/ca-next.crt); "" without base.
func orBeside(configured, base, suffix string) string {
	if configured != "" || base == "" {
		return configured
	}
	ext := filepath.Ext(base)
	return strings.TrimSuffix(base, ext) + suffix + ext
}

func (c *Config) validateRotation(add func(path, format string, args ...any)) {
	r := c.Renew.CARotation
	const p = "renew.ca_rotation"
	if r.MaxPhaseAge < 0 {
		add(p+".max_phase_age", "must not be negative")
	}
	for i, f := range r.TrustFiles {
		if f == "" {
			add(fmt.Sprintf("%s.trust_files[%d]", p, i), "is empty")
		}
	}
	if lc := r.LinkCheck; lc != nil {
		checkReloadDSN(p+".link_check.dsn", lc.DSN, true, add)
		checkReloadDSN(p+".link_check.admin_dsn", lc.AdminDSN, false, add)
		if lc.AdminDSN == "" && lc.AdminPasswordFile != "" {
			add(p+".link_check.admin_password_file", "is set but admin_dsn is not")
		}
	}
}

// checkReloadDSN checks a DSN renew connects with: it must parse and hold
// no password (password files only).
func checkReloadDSN(field, dsn string, required bool, add func(path, format string, args ...any)) {
	switch {
	case dsn == "" && required:
		add(field, "is required")
	case dsn == "":
	case dsnHasPassword(dsn):
		add(field, "must not hold a password; use password_file")
	default:
		if err := checkDSN(DSN(dsn)); err != nil {
			add(field, "%v", err)
		}
	}
}

// claimRotationFiles adds the rotation's files to the distinct-files
// check: none may be the CA's or an entry's file, nor another's.
func (c *Config) claimRotationFiles(claim func(field, configured string)) {
	if c.CA.Cert == "" || c.CA.Key == "" {
		return
	}
	const p = "renew.ca_rotation"
	claim(p+".new_cert", c.RotationNewCert())
	claim(p+".new_key", c.RotationNewKey())
	claim(p+".bundle", c.RotationBundle())
	for i, f := range c.Renew.CARotation.TrustFiles {
		claim(fmt.Sprintf("%s.trust_files[%d]", p, i), f)
	}
}
