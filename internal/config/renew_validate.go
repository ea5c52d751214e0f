package config

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/keytype"
	"github.com/magflow/pgtls_exporter/internal/rules/defaults"
)

// passwordInDSN finds a password keyword in a key=value DSN.
var passwordInDSN = regexp.MustCompile(`(?i)(^|\s)(ssl)?password\s*=`)

// ReloadSignals lists the signals a reload may send, by canonical name.
func ReloadSignals() []string { return []string{"HUP", "USR1", "USR2"} }

// CanonicalSignal returns the signal's name without "SIG" ("HUP" when
// empty), or "" when it is not one of ReloadSignals.
func CanonicalSignal(s string) string {
	if s == "" {
		return "HUP"
	}
	s = strings.TrimPrefix(strings.ToUpper(s), "SIG")
	for _, ok := range ReloadSignals() {
		if s == ok {
			return s
		}
	}
	return ""
}

func (c *Config) validateRenew(add func(path, format string, args ...any)) {
	r := c.Renew
	if r.RenewBefore < 0 {
		add("renew.renew_before", "must not be negative")
	}
	if r.Validity < 0 {
		add("renew.validity", "must not be negative")
	} else if validity, before := c.durationSetting("renew.validity", r.Validity, defaults.ServerValidity),
		c.inherit("renew.renew_before", r.RenewBefore, c.warnSetting()); validity.value <= before.value {
		add(validity.path, "%s must be longer than %s, or every run renews again", validity.subject(), before.reference())
	}
	if r.KeyType != "" && !r.KeyType.Valid() {
		add("renew.key_type", "%q is not one of %v", r.KeyType, keytype.All())
	}
	if r.KeepBackups < 0 {
		add("renew.keep_backups", "must be at least 1 (0 means the default, %d)", DefaultRenewKeepBackups)
	}
	if r.VerifyTimeout < 0 {
		add("renew.verify_timeout", "must not be negative")
	}
	if r.CA.Validity < 0 {
		add("renew.ca.validity", "must not be negative")
	}
	if r.CA.KeyType != "" && !r.CA.KeyType.Valid() {
		add("renew.ca.key_type", "%q is not one of %v", r.CA.KeyType, keytype.All())
	}
	checkArgv("renew.docker_compose.command", r.DockerCompose.Command, add)
	for i, f := range r.DockerCompose.Files {
		if f == "" {
			add(fmt.Sprintf("renew.docker_compose.files[%d]", i), "is empty")
		}
	}
	c.validateRotation(add)
	seen := map[string]int{}
	for i, s := range r.Services {
		p := fmt.Sprintf("renew.services[%d]", i)
		switch {
		case s.Name == "":
			add(p+".name", "is required")
		case !validName.MatchString(s.Name):
			add(p+".name", "%q may hold only letters, digits, '_', '.' and '-'", s.Name)
		default:
			if j, dup := seen[s.Name]; dup {
				add(p+".name", "%q is already used by renew.services[%d]", s.Name, j)
			}
			seen[s.Name] = i
		}
		c.validateService(p, s, add)
	}
}

func (c *Config) validateService(p string, s Service, add func(path, format string, args ...any)) {
	switch s.Kind {
	case KindPostgres, KindPgBouncer:
	case "":
		add(p+".kind", "is required (%s or %s)", KindPostgres, KindPgBouncer)
	default:
		add(p+".kind", "%q is not %s or %s", s.Kind, KindPostgres, KindPgBouncer)
	}
	if len(s.Certificates) == 0 {
		add(p+".certificates", "at least one certificates entry is required")
	}
	for k, name := range s.Certificates {
		if _, ok := c.CertificateByName(name); !ok {
			add(fmt.Sprintf("%s.certificates[%d]", p, k), "%q is not the name of a certificates entry", name)
		}
	}
	if s.Timeout < 0 {
		add(p+".timeout", "must not be negative")
	}
	if s.DockerCompose != nil {
		c.validateCompose(p+".docker_compose", s, add)
	}
	r := s.Reload
	n := 0
	if r.SQL != nil {
		n++
		checkReloadDSN(p+".reload.sql.dsn", r.SQL.DSN, true, add)
	}
	if r.Signal != nil {
		n++
		if r.Signal.PIDFile == "" {
			add(p+".reload.signal.pid_file", "is required")
		}
		if CanonicalSignal(r.Signal.Signal) == "" {
			add(p+".reload.signal.signal", "%q is not one of %v", r.Signal.Signal, ReloadSignals())
		}
	}
	if r.Command != nil {
		n++
		checkArgv(p+".reload.command", r.Command, add)
		if len(r.Command) == 0 {
			add(p+".reload.command", "is empty")
		}
	}
	switch {
	case n > 1:
		add(p+".reload", "set only one of sql, signal and command")
	case n == 0 && s.DockerCompose == nil:
		add(p+".reload", "set one of sql, signal and command (or docker_compose)")
	}
}

func (c *Config) validateCompose(p string, s Service, add func(path, format string, args ...any)) {
	dc := s.DockerCompose
	if dc.Service == "" {
		add(p+".service", "is required")
	}
	if len(dc.Copy) == 0 {
		add(p+".copy", "at least one file to copy is required")
	}
	for k, cp := range dc.Copy {
		cpPath := fmt.Sprintf("%s.copy[%d]", p, k)
		entryName := s.CopyEntry(cp)
		var entry Certificate
		switch {
		case entryName == "":
			add(cpPath+".certificate", "is required when the service has more than one certificate")
		default:
			found := false
			for _, n := range s.Certificates {
				found = found || n == entryName
			}
			var ok bool
			entry, ok = c.CertificateByName(entryName)
			if !found || !ok {
				add(cpPath+".certificate", "%q is not one of the service's certificates", entryName)
			}
		}
		switch cp.File {
		case FileCert, FileCA:
		case FileKey, FileCombined:
			if entry.Name != "" && ((cp.File == FileKey && entry.Key == "") || (cp.File == FileCombined && entry.Combined == "")) {
				add(cpPath+".file", "entry %q has no %s file", entry.Name, cp.File)
			}
		default:
			add(cpPath+".file", "%q is not one of cert, key, combined, ca", cp.File)
		}
		if !path.IsAbs(cp.To) {
			add(cpPath+".to", "%q is not an absolute path in the container", cp.To)
		}
	}
	checkArgv(p+".reload_command", dc.ReloadCommand, add)
}

// checkArgv refuses empty arguments and a leading empty program.
func checkArgv(p string, argv []string, add func(path, format string, args ...any)) {
	for i, a := range argv {
		if a == "" {
			add(fmt.Sprintf("%s[%d]", p, i), "is empty")
		}
	}
}

// dsnHasPassword reports a password in a key=value or URL DSN.
func dsnHasPassword(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return true // refuse what cannot be checked
		}
		_, has := u.User.Password()
		return has || u.Query().Has("password") || u.Query().Has("sslpassword")
	}
	return passwordInDSN.MatchString(dsn)
}
