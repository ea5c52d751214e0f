package check

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/inspect"
)

// Check names used in findings about files.
const (
	CheckFile        = "file"
	CheckExpiry      = "expiry"
	CheckSAN         = "san"
	CheckVerify      = "verify"
	CheckKeyMatch    = "key-match"
	CheckPermissions = "key-permissions"
)

// FileFindings judges a file report. strictOwners lists entries whose
// key_owner is configured: their refused key permissions are CRITICAL (the
// server will refuse to start or reload), others' are WARNING.
func FileFindings(r *inspect.Report, th Thresholds, strictOwners map[string]bool) []Finding {
	var out []Finding
	for _, e := range r.All() {
		out = append(out, entryFindings(e, r.Time, th, strictOwners[e.Name])...)
	}
	return out
}

func entryFindings(e *inspect.EntryReport, now time.Time, th Thresholds, strict bool) []Finding {
	var out []Finding
	add := func(check string, st Status, path, format string, args ...any) {
		out = append(out, Finding{Entry: e.Name, Check: check, Status: st, Path: path, Detail: fmt.Sprintf(format, args...)})
	}
	for _, fr := range e.Files {
		if fr.Err != nil {
			add(CheckFile, Critical, fr.Path, "%s file unusable: %v", fr.Role, fr.Err)
			continue
		}
		add(CheckFile, OK, fr.Path, "%s", fileSummary(fr))
		if fr.Role == inspect.RoleCombined {
			continue // its certificate is compared with the certificate file under key-match
		}
		for _, c := range fr.Certificates {
			add(CheckExpiry, expiryStatus(c, now, th), fr.Path, "%s", expiryText(c, now))
		}
	}
	cf := e.CertFile()
	for _, n := range e.Names {
		switch {
		case n.Covered:
			add(CheckSAN, OK, cf.Path, "covers %s", n.Name)
		case n.CommonNameOnly:
			add(CheckSAN, Warning, cf.Path, "covers %s only through its common name: %s", n.Name, certs.CommonNameClients)
		default:
			add(CheckSAN, Critical, cf.Path, "does not cover %s (SANs: %s)", n.Name, leafSANs(cf))
		}
	}
	if e.Verify != nil {
		if e.Verify.OK() {
			add(CheckVerify, OK, cf.Path, "chains to the configured CA")
		} else {
			add(CheckVerify, Critical, cf.Path, "%s", e.Verify.Detail())
		}
	}
	for _, km := range e.KeyMatches {
		switch {
		case km.OK:
			add(CheckKeyMatch, OK, km.Path, "%s matches the certificate", km.Role)
		case errors.Is(km.Err, certs.ErrKeyEncrypted):
			add(CheckKeyMatch, Warning, km.Path, "%v", km.Err)
		case errors.Is(km.Err, certs.ErrKeyUnsupported):
			add(CheckKeyMatch, Unknown, km.Path, "cannot check that the %s matches the certificate: %v", km.Role, km.Err)
		default:
			add(CheckKeyMatch, Critical, km.Path, "%s does not match the certificate: %v", km.Role, km.Err)
		}
	}
	for _, kp := range e.KeyPermissions {
		add(CheckPermissions, permissionStatus(kp, strict && kp.Role == inspect.RoleKey), kp.Path, "%s", permissionText(kp))
	}
	return out
}

func expiryStatus(c inspect.CertFacts, now time.Time, th Thresholds) Status {
	left := c.NotAfter.Sub(now)
	switch {
	case now.Before(c.NotBefore), left < th.CritBefore:
		return Critical
	case left < th.WarnBefore:
		return Warning
	}
	return OK
}

func expiryText(c inspect.CertFacts, now time.Time) string {
	if now.Before(c.NotBefore) {
		return fmt.Sprintf("serial %s is not valid before %s", c.Serial, c.NotBefore.UTC().Format(time.RFC3339))
	}
	return expiryDetail(c.Serial, c.NotAfter, now)
}

func leafSANs(fr *inspect.FileReport) string {
	if len(fr.Certificates) == 0 || fr.Certificates[0].SANs == "" {
		return "none"
	}
	return fr.Certificates[0].SANs
}

func permissionStatus(kp inspect.KeyPermission, strict bool) Status {
	switch {
	case kp.Err != nil:
		return Unknown
	case kp.OK():
		return OK
	case strict:
		return Critical
	}
	return Warning
}

func permissionText(kp inspect.KeyPermission) string {
	if kp.Err != nil {
		return fmt.Sprintf("cannot judge: %v", kp.Err)
	}
	facts := fmt.Sprintf("%s:%s %04o", kp.Owner, kp.Group, uint32(kp.Mode.Perm()))
	if kp.Verdict.OK() {
		return fmt.Sprintf("%s, acceptable for %s", facts, kp.User)
	}
	return fmt.Sprintf("%s, refused for %s: %s", facts, kp.User, kp.Verdict.Reason)
}

func fileSummary(fr inspect.FileReport) string {
	var parts []string
	if n := len(fr.Certificates); n == 1 {
		parts = append(parts, "1 certificate")
	} else if n > 1 {
		parts = append(parts, fmt.Sprintf("%d certificates", n))
	}
	if fr.Key != "" {
		parts = append(parts, fr.Key+" key")
	}
	return fmt.Sprintf("%s file read: %s", fr.Role, strings.Join(parts, " + "))
}
