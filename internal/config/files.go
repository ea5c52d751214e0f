package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// fileUse is how a configured path is used, and so what it must be.
type fileUse int

const (
	// useRead: a file that is read; it must be a regular file this
	// process can open.
	useRead fileUse = iota
	// useExists: a file that must exist but is never read here (the CA
	// key: only renew reads it, and the exporter never does).
	useExists
	// useDir: a folder.
	useDir
)

// configuredFile is a path the configuration names.
type configuredFile struct {
	field      string // the key path, e.g. certificates[0].cert
	label      string // shown before the path, e.g. "sslrootcert=" for a DSN's file
	configured string // as written
	resolved   string // as used
	use        fileUse
}

// CheckFiles checks that every file the configuration names for reading
// exists and can be read, every folder it names exists, and ca.key exists
// (it is never read). It returns one *FieldError a problem, in the order of
// the configuration. Files that renew creates (state_dir, the CA
// rotation's new_cert, new_key and bundle) and the reload pid files, which
// exist only while their server runs, are not checked. When neither
// ca.cert nor ca.key exists, the ca.cert problem says that renew --init
// creates them.
func (c *Config) CheckFiles() []error {
	files := c.inputFiles()
	noCA := c.CA.Cert != "" && c.CA.Key != "" && missing(c.Resolve(c.CA.Cert)) && missing(c.Resolve(c.CA.Key))
	var errs []error
	for _, f := range files {
		err := f.check()
		if err == nil {
			continue
		}
		msg := f.label + f.configured
		if f.resolved != f.configured {
			msg += " (" + f.resolved + ")"
		}
		msg += ": " + err.Error()
		if noCA && f.field == "ca.cert" {
			msg += "; neither ca.cert nor ca.key exists: `pgtls_exporter renew --init` creates the CA"
		}
		errs = append(errs, &FieldError{Path: f.field, Message: msg})
	}
	return errs
}

// check returns why f is not usable, without the path: "no such file or
// directory", "permission denied", "is a named pipe (FIFO), not a regular
// file".
func (f configuredFile) check() error {
	var err error
	switch f.use {
	case useRead:
		err = regfile.Readable(f.resolved)
	case useExists:
		_, err = os.Stat(f.resolved)
	case useDir:
		var fi fs.FileInfo
		if fi, err = os.Stat(f.resolved); err == nil && !fi.IsDir() {
			return errors.New("is not a folder")
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// missing reports whether nothing exists at path.
func missing(path string) bool {
	_, err := os.Lstat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// eachCertFile calls fn with the field and configured path of the CA's
// and the certificates entries' files, in order, skipping empty ones.
func (c *Config) eachCertFile(fn func(field, configured string)) {
	call := func(field, configured string) {
		if configured != "" {
			fn(field, configured)
		}
	}
	call("ca.cert", c.CA.Cert)
	call("ca.key", c.CA.Key)
	for i, e := range c.Certificates {
		p := fmt.Sprintf("certificates[%d]", i)
		call(p+".cert", e.Cert)
		call(p+".key", e.Key)
		call(p+".combined", e.Combined)
	}
}

// fileList collects configured paths in order.
type fileList struct {
	c     *Config
	files []configuredFile
}

// add lists a path resolved against the configuration folder; nothing
// when it is empty.
func (l *fileList) add(field, configured string, use fileUse) {
	if configured != "" {
		l.files = append(l.files, configuredFile{field: field, configured: configured, resolved: l.c.Resolve(configured), use: use})
	}
}

// addDSN lists the files a DSN names (sslrootcert but "system", sslcert,
// sslkey), resolved against the configuration folder when resolve is set.
// Nothing else of the DSN is kept, so no password reaches a message.
func (l *fileList) addDSN(field, dsn string, resolve bool) {
	p, err := parseDSN(dsn)
	if err != nil {
		return // reported by validation
	}
	for _, key := range []string{"sslrootcert", "sslcert", "sslkey"} {
		v, _ := p.get(key) // the last value wins, as in pgconn
		if v == "" || (key == "sslrootcert" && v == "system") {
			continue
		}
		resolved := v
		if resolve {
			resolved = l.c.Resolve(v)
		}
		l.files = append(l.files, configuredFile{field: field, label: key + "=", configured: v, resolved: resolved, use: useRead})
	}
}

// inputFiles lists the paths the configuration names that must exist
// before they are used (see CheckFiles).
func (c *Config) inputFiles() []configuredFile {
	l := &fileList{c: c}
	c.eachCertFile(func(field, configured string) {
		use := useRead
		if field == "ca.key" {
			use = useExists
		}
		l.add(field, configured, use)
	})
	for i, t := range c.Targets {
		p := fmt.Sprintf("targets[%d]", i)
		l.add(p+".client_cert", t.ClientCert, useRead)
		l.add(p+".client_key", t.ClientKey, useRead)
	}
	session := func(p string, s SessionSource) {
		l.addDSN(p+".dsn", s.DSN.Value(), true)
		l.add(p+".password_file", s.PasswordFile, useRead)
	}
	for i, s := range c.Sessions.Postgres {
		session(fmt.Sprintf("sessions.postgres[%d]", i), s.SessionSource)
	}
	for i, s := range c.Sessions.PgBouncer {
		session(fmt.Sprintf("sessions.pgbouncer[%d]", i), s.SessionSource)
	}
	c.renewFiles(l)
	for i, f := range c.Audit.Files.PgHBA {
		l.add(fmt.Sprintf("audit.files.pg_hba[%d]", i), f, useRead)
	}
	for i, f := range c.Audit.Files.PgBouncerINI {
		l.add(fmt.Sprintf("audit.files.pgbouncer_ini[%d]", i), f, useRead)
	}
	for i, m := range c.Audit.PathMap {
		l.add(fmt.Sprintf("audit.path_map[%d].to", i), m.To, useDir)
	}
	return l.files
}

// renewFiles lists the renew section's input paths: docker compose's
// folder and files, the files of the reload and link check DSNs, password
// files and trust files.
func (c *Config) renewFiles(l *fileList) {
	r := c.Renew
	l.add("renew.docker_compose.project_dir", r.DockerCompose.ProjectDir, useDir)
	dir := c.ComposeProjectDir()
	for i, f := range r.DockerCompose.Files {
		if f == "" {
			continue
		}
		resolved := f
		if !filepath.IsAbs(f) {
			resolved = filepath.Join(dir, f) // docker compose runs in dir
		}
		l.files = append(l.files, configuredFile{field: fmt.Sprintf("renew.docker_compose.files[%d]", i), configured: f,
			resolved: resolved, use: useRead})
	}
	for i, s := range r.Services {
		if sql := s.Reload.SQL; sql != nil {
			p := fmt.Sprintf("renew.services[%d].reload.sql", i)
			l.addDSN(p+".dsn", sql.DSN, false) // renew connects with it as written
			l.add(p+".password_file", sql.PasswordFile, useRead)
		}
	}
	const rot = "renew.ca_rotation"
	for i, f := range r.CARotation.TrustFiles {
		l.add(fmt.Sprintf("%s.trust_files[%d]", rot, i), f, useRead)
	}
	if lc := r.CARotation.LinkCheck; lc != nil {
		l.addDSN(rot+".link_check.dsn", lc.DSN, true)
		l.add(rot+".link_check.password_file", lc.PasswordFile, useRead)
		l.addDSN(rot+".link_check.admin_dsn", lc.AdminDSN, true)
		l.add(rot+".link_check.admin_password_file", lc.AdminPasswordFile, useRead)
	}
}
