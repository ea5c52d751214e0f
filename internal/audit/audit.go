// Package audit gathers the facts of the TLS posture audit: what the
// servers allow rather than what is in use. Live, it reads PostgreSQL's
// pg_settings and pg_hba_file_rules and PgBouncer's SHOW CONFIG over the
// session sources' own connections; offline, it parses pg_hba.conf and
// pgbouncer.ini files. For every TLS file a server names it says where the
// exporter sees it and which configured entry it is. Verdicts are not made
// here: package rules judges the facts.
package audit

import (
	"context"
	"slices"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/pghba"
	"github.com/magflow/pgtls_exporter/internal/sessions"
)

// Kind is what a subject is.
type Kind string

// Kinds of subjects.
const (
	KindPostgres     Kind = "postgres"      // a live PostgreSQL server
	KindPgBouncer    Kind = "pgbouncer"     // a live PgBouncer
	KindHBAFile      Kind = "pg_hba"        // a pg_hba.conf file
	KindPgBouncerINI Kind = "pgbouncer_ini" // a pgbouncer.ini file
)

// Setting is one configuration value of a server.
type Setting struct {
	Value string
	// Where is "FILE:LINE" where it is set; empty when not known.
	Where string
	// Default is true when nothing sets it and the server's default applies.
	Default bool
}

// Roles of TLS files.
const (
	RoleCert = "cert"
	RoleKey  = "key"
	RoleCA   = "ca"
	RoleCRL  = "crl"
)

// TLSFile is a certificate, key, CA or CRL file a server reads.
type TLSFile struct {
	// Setting names it, e.g. ssl_cert_file or client_tls_ca_file.
	Setting string
	Role    string
	// Path is as the server sees it.
	Path string
	// Local is where the exporter finds it; empty when it cannot.
	Local string
	// Visible is true when the exporter found the file (Local exists) or
	// knows it from a docker compose copy step.
	Visible bool
	// Entry is the configured certificate entry (or "ca") the file is, and
	// Field which of its files ("cert", "key", "combined", "ca"); empty when
	// it is none of them.
	Entry, Field string
}

// Problem is a file or line the audit could not read or parse.
type Problem struct {
	// Where is "FILE:LINE", or FILE when the whole file is concerned.
	Where string
	Msg   string
}

// Facts are what the audit found about one subject.
type Facts struct {
	// Subject names it: postgres/NAME, pgbouncer/NAME, or an audited
	// file's path as configured.
	Subject string
	Kind    Kind
	// Err is set when the server could not be read at all.
	Err error
	// MissingGrants say, one sentence each, which grant the monitoring
	// role lacks and what the audit could not do without it.
	MissingGrants []string
	// Version is the server's version, when known.
	Version string
	// Settings are the judged settings by name.
	Settings map[string]Setting
	// HBA are PostgreSQL's authentication rules; HBAKnown is false when
	// they could not be read.
	HBA      []pghba.Rule
	HBAKnown bool
	// Files are the TLS files the settings name.
	Files []TLSFile
	// Unparsable are files or lines that could not be read or parsed.
	Unparsable []Problem
}

// Target is one subject the audit reads.
type Target interface {
	Subject() string
	Kind() Kind
	Collect(ctx context.Context) *Facts
}

// Targets returns what cfg audits: every session server when audit.live
// is set (over the given session sources, in configuration order), then
// the configured files.
func Targets(cfg *config.Config, pg []*sessions.Postgres, pgb []*sessions.PgBouncer) []Target {
	a := cfg.Audit
	if !a.Enabled() {
		return nil
	}
	w := newWatch(cfg)
	var out []Target
	if a.Live {
		for i, p := range pg {
			out = append(out, &postgresTarget{src: p, watch: w, local: cfg.Sessions.Postgres[i].DSN.Local()})
		}
		for i, b := range pgb {
			out = append(out, &pgbouncerTarget{src: b, watch: w, local: cfg.Sessions.PgBouncer[i].DSN.Local()})
		}
	}
	for _, f := range a.Files.PgHBA {
		out = append(out, &hbaFileTarget{subject: f, path: cfg.Resolve(f)})
	}
	for _, f := range a.Files.PgBouncerINI {
		out = append(out, &iniFileTarget{subject: f, path: cfg.Resolve(f), watch: w})
	}
	return out
}

// IsPathSetting reports whether a setting names a file or folder (the TLS
// files, data_directory, hba_file) rather than a mode or method.
func IsPathSetting(name string) bool {
	if name == "data_directory" || name == "hba_file" {
		return true
	}
	for _, f := range slices.Concat(postgresFiles, pgbouncerFiles) {
		if f[0] == name {
			return true
		}
	}
	return false
}
