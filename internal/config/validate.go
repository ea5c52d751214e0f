package config

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
)

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// FieldError is a validation failure of one field, named by its path
// (for example "certificates[1].expected_names[0]").
type FieldError struct {
	Path    string
	Message string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// Validate checks the whole configuration and returns every problem found,
// each as a *FieldError, joined.
func (c *Config) Validate() error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if len(c.Certificates) == 0 && len(c.Targets) == 0 && len(c.Sessions.Postgres) == 0 && len(c.Sessions.PgBouncer) == 0 &&
		!c.Audit.Enabled() {
		add("certificates", "nothing to watch: configure certificates, targets, sessions or audit.files")
	}
	if c.CA.Cert == "" && c.CA.Key != "" {
		add("ca.cert", "is required when ca.key is set")
	}
	seen := map[string]int{}
	for i, e := range c.Certificates {
		p := fmt.Sprintf("certificates[%d]", i)
		switch {
		case e.Name == "":
			add(p+".name", "is required")
		case e.Name == CAName:
			add(p+".name", "%q is reserved for the CA", CAName)
		case !validName.MatchString(e.Name):
			add(p+".name", "%q may hold only letters, digits, '_', '.' and '-'", e.Name)
		default:
			if j, dup := seen[e.Name]; dup {
				add(p+".name", "%q is already used by certificates[%d]", e.Name, j)
			}
			seen[e.Name] = i
		}
		if e.Cert == "" {
			add(p+".cert", "is required")
		}
		names := map[string]int{}
		for k, n := range e.ExpectedNames {
			if err := checkExpectedName(n); err != nil {
				add(fmt.Sprintf("%s.expected_names[%d]", p, k), "%v", err)
			}
			if j, dup := names[strings.ToLower(n)]; dup {
				add(fmt.Sprintf("%s.expected_names[%d]", p, k), "%q is already expected_names[%d]", n, j)
			}
			names[strings.ToLower(n)] = k
		}
		if e.KeyOwner != "" && e.Key == "" && e.Combined == "" {
			add(p+".key_owner", "is set but the entry has no key or combined file")
		}
		if _, _, err := ParseNumericOwner(e.KeyOwner); err != nil {
			add(p+".key_owner", "%v", err)
		}
	}
	c.checkDistinctFiles(add)
	c.validateTargets(add)
	c.validateSessions(add)
	c.validateRenew(add)
	c.validateThresholds(add)
	c.validateVerify(add)
	c.validateScan(add)
	c.validateWebhook(add)
	c.validateAudit(add)
	return errors.Join(errs...)
}

func checkExpectedName(n string) error {
	switch {
	case n == "":
		return errors.New("is empty")
	case net.ParseIP(n) != nil:
		return nil
	case strings.ContainsAny(n, " /:@"):
		return fmt.Errorf("%q is neither a DNS name nor an IP address", n)
	}
	return nil
}

// checkDistinctFiles refuses one file in two places (two roles of an entry,
// two entries, or an entry and the CA), whatever the path spelling: each
// place is judged and renewed on its own, and renew would overwrite the
// other's file (the CA key among them). Servers that share a certificate
// share one entry; several targets may name it.
func (c *Config) checkDistinctFiles(add func(path, format string, args ...any)) {
	seen := map[string]string{}
	claim := func(field, configured string) {
		if configured == "" {
			return
		}
		key := filepath.Clean(c.Resolve(configured))
		if other, dup := seen[key]; dup {
			add(field, "%s is the same file as %s", configured, other)
			return
		}
		seen[key] = field
	}
	c.eachCertFile(claim)
	c.claimRotationFiles(claim)
}
