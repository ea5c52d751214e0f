package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/libpq"
	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// Check names of findings about files.
const (
	CheckFile        = "file"
	CheckExpiry      = "expiry"
	CheckSAN         = "san"
	CheckVerify      = "verify"
	CheckKeyMatch    = "key-match"
	CheckPermissions = "key-permissions"
)

// FileFindings judges a file report. strictOwners lists entries whose
// key_owner is configured: PostgreSQL reads their key, so a refused mode
// is key_mode_refused (it would not load the key); for others it is
// key_mode_loose.
func FileFindings(r *inspect.Report, th Policy) []Finding {
	var out []Finding
	caUsable := r.Authority != nil
	for _, e := range r.All() {
		out = append(out, EntryFindings(e, r.Time, th, caUsable)...)
	}
	return out
}

// EntryFindings judges one entry (or the CA) at now: its files and their
// expiry, then, when the certificate file starts with the server's own
// certificate, the names, the chain and the key; the key files' modes
// always.
func EntryFindings(e *inspect.EntryReport, now time.Time, th Policy, caUsable bool) []Finding {
	out := fileRows(e, now, th)
	cf := e.CertFile()
	if cf == nil {
		return out
	}
	if e.LeafNotFirst != "" {
		// The names, chain and key of another certificate than the server's
		// would only repeat this one problem.
		out = append(out, problem(SourceFiles, e.Name, CheckFile, cf.Path, LeafNotFirst, "%s: put the server's certificate first", e.LeafNotFirst))
	} else {
		out = append(out, nameRows(e, cf)...)
		if f, ok := verifyRow(e, cf, caUsable); ok {
			out = append(out, f)
		}
		out = append(out, keyMatchRows(e)...)
	}
	for _, kp := range e.KeyPermissions {
		out = append(out, permissionFinding(e.Name, kp))
	}
	return out
}

// isCAEntry reports whether the entry is the configured CA.
func isCAEntry(e *inspect.EntryReport) bool {
	for _, fr := range e.Files {
		if fr.Role == inspect.RoleCA {
			return true
		}
	}
	return false
}

// fileRows judges whether each file is usable, and the expiry of every
// certificate in the certificate and CA files.
func fileRows(e *inspect.EntryReport, now time.Time, th Policy) []Finding {
	var out []Finding
	for _, fr := range e.Files {
		if fr.Err != nil {
			out = append(out, problem(SourceFiles, e.Name, CheckFile, fr.Path, FileCode(fr.Err), "%s file unusable: %v", fr.Role, fr.Err))
			if fr.Role == inspect.RoleCert || fr.Role == inspect.RoleCA {
				out = append(out, problem(SourceFiles, e.Name, CheckExpiry, fr.Path, NotChecked, "cannot judge expiry: the %s file is unusable", fr.Role))
			}
			continue
		}
		out = append(out, ok(SourceFiles, e.Name, CheckFile, fr.Path, "%s", fileSummary(fr)))
		if fr.Role == inspect.RoleCombined {
			continue // its certificate is compared with the certificate file under key-match
		}
		warn, crit := th.WarnBefore, th.CritBefore
		if fr.Role == inspect.RoleCA {
			warn, crit = th.CAWarnBefore, th.CACritBefore
		}
		for _, c := range fr.Certificates {
			out = append(out, ExpiryFinding(SourceFiles, e.Name, CheckExpiry, fr.Path, c, now, warn, crit))
		}
	}
	return out
}

// nameRows judges, for each expected name, how libpq matches it.
func nameRows(e *inspect.EntryReport, cf *inspect.FileReport) []Finding {
	out := make([]Finding, 0, len(e.ExpectedNames))
	for _, name := range e.ExpectedNames {
		cover := e.Coverage(name)
		var f Finding
		switch {
		case cf.Err != nil:
			f = problem(SourceFiles, e.Name, CheckSAN, cf.Path, NotChecked, "cannot judge whether it covers %s: the certificate file is unusable", name)
		case cover.Match == libpq.MatchSAN:
			f = ok(SourceFiles, e.Name, CheckSAN, cf.Path, "covers %s", name)
		case cover.Match == libpq.MatchIPAsDNS:
			f = problem(SourceFiles, e.Name, CheckSAN, cf.Path, IPAsDNSSAN, "covers %s only as a DNS SAN holding the address as text: %s", name, certs.IPAsDNSClients)
		case cover.CommonNameOnly():
			f = problem(SourceFiles, e.Name, CheckSAN, cf.Path, CommonNameOnly, "covers %s only through its common name: %s", name, certs.CommonNameClients)
		default:
			f = problem(SourceFiles, e.Name, CheckSAN, cf.Path, SANMissing, "does not cover %s (SANs: %s)", name, leafSANs(cf))
		}
		out = append(out, f)
	}
	return out
}

// verifyRow judges the chain as libpq verifies it; false when there is
// nothing to say (no CA configured, or an unusable CA file's own entry).
func verifyRow(e *inspect.EntryReport, cf *inspect.FileReport, caUsable bool) (Finding, bool) {
	isCA := isCAEntry(e)
	switch {
	case cf.Err != nil:
		if caUsable && !isCA {
			return problem(SourceFiles, e.Name, CheckVerify, cf.Path, NotChecked, "cannot verify: the certificate file is unusable"), true
		}
	case e.Verify != nil && e.Verify.OK():
		return ok(SourceFiles, e.Name, CheckVerify, cf.Path, "%s", verifiedText(e.Verify, isCA)), true
	case e.Verify != nil:
		return problem(SourceFiles, e.Name, CheckVerify, cf.Path, VerifyCode(e.Verify.Reason), "%s", e.Verify.Detail()), true
	case e.CAConfigured && !isCA:
		return problem(SourceFiles, e.Name, CheckVerify, cf.Path, CAUnusable, "cannot verify: the CA file is unusable"), true
	}
	return Finding{}, false
}

// keyMatchRows judges whether the key file and combined PEM belong to the
// certificate.
func keyMatchRows(e *inspect.EntryReport) []Finding {
	out := make([]Finding, 0, len(e.KeyMatches))
	for _, km := range e.KeyMatches {
		var f Finding
		switch {
		case km.OK:
			f = ok(SourceFiles, e.Name, CheckKeyMatch, km.Path, "%s matches the certificate", km.Role)
		case errors.Is(km.Err, inspect.ErrNotChecked):
			f = problem(SourceFiles, e.Name, CheckKeyMatch, km.Path, NotChecked, "cannot judge: %v", km.Err)
		case errors.Is(km.Err, certs.ErrKeyEncrypted):
			f = problem(SourceFiles, e.Name, CheckKeyMatch, km.Path, KeyEncrypted, "%v", km.Err)
		case errors.Is(km.Err, certs.ErrKeyUnsupported):
			f = problem(SourceFiles, e.Name, CheckKeyMatch, km.Path, KeyUnsupported, "cannot check that the %s matches the certificate: %v", km.Role, km.Err)
		default:
			f = problem(SourceFiles, e.Name, CheckKeyMatch, km.Path, KeyMismatch, "%s does not match the certificate: %v", km.Role, km.Err)
		}
		out = append(out, f)
	}
	return out
}

// FileCode classifies why a file is unusable.
func FileCode(err error) Code {
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return FileMissing
	case errors.As(err, &errno), errors.Is(err, fs.ErrPermission), errors.Is(err, regfile.ErrNotRegular), errors.Is(err, regfile.ErrTooLarge):
		return FileUnreadable
	}
	return FileInvalid
}

// VerifyCode is the code of a failed verification, for files and served
// chains alike.
func VerifyCode(r certs.VerifyReason) Code {
	switch r {
	case certs.VerifyUnknownAuthority:
		return UnknownAuthority
	case certs.VerifyExpired:
		return Expired
	case certs.VerifyNotYetValid:
		return NotYetValid
	case certs.VerifyNameMismatch:
		return NameMismatch
	case certs.VerifyAnchorNotSelfSigned:
		return AnchorNotSelfSigned
	case certs.VerifyLeafKeyUsage:
		return LeafKeyUsageRefused
	case certs.VerifyNameConstraint:
		return NameConstraintViolation
	case certs.VerifyWeakKey:
		return WeakKey
	case certs.VerifyWeakSignature:
		return WeakSignature
	case certs.VerifyNotConfigured:
		return CAUnusable
	}
	return ChainInvalid
}

// ExpiryFinding judges one certificate's validity at now against the
// warning and critical thresholds.
func ExpiryFinding(src Source, entry, check, path string, c inspect.CertFacts, now time.Time, warn, crit time.Duration) Finding {
	if now.Before(c.NotBefore) {
		return problem(src, entry, check, path, NotYetValid, "serial %s is not valid before %s", c.Serial,
			c.NotBefore.UTC().Format(time.RFC3339))
	}
	left := c.NotAfter.Sub(now)
	when := c.NotAfter.UTC().Format(time.RFC3339)
	switch {
	case left < 0:
		return problem(src, entry, check, path, Expired, "serial %s expired %s (%s ago)", c.Serial, when, humanDuration(-left))
	case left < crit:
		return problem(src, entry, check, path, ExpiresVerySoon, "serial %s expires %s (in %s)", c.Serial, when, humanDuration(left))
	case left < warn:
		return problem(src, entry, check, path, ExpiresSoon, "serial %s expires %s (in %s)", c.Serial, when, humanDuration(left))
	}
	return ok(src, entry, check, path, "serial %s expires %s (in %s)", c.Serial, when, humanDuration(left))
}

// NextChange is the first moment after now at which an expiry verdict of
// the entry changes with time alone (a threshold is crossed); zero if none.
func NextChange(e *inspect.EntryReport, now time.Time, th Policy) time.Time {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, fr := range e.Files {
		warn, crit := th.WarnBefore, th.CritBefore
		if fr.Role == inspect.RoleCA {
			warn, crit = th.CAWarnBefore, th.CACritBefore
		}
		for _, c := range fr.Certificates {
			consider(c.NotBefore)
			consider(c.NotAfter)
			consider(c.NotAfter.Add(-crit))
			consider(c.NotAfter.Add(-warn))
		}
	}
	return next
}

// permissionFinding judges a key file: refused when key_owner names the
// server that reads it (its refusal is certain), loose otherwise.
func permissionFinding(entry string, kp inspect.KeyPermission) Finding {
	strict := kp.KeyOwner != "" && kp.Role == inspect.RoleKey
	switch {
	case kp.Err != nil:
		return problem(SourceFiles, entry, CheckPermissions, kp.Path, KeyModeUnknown, "%s", permissionText(kp, false))
	case kp.Verdict.OK():
		return ok(SourceFiles, entry, CheckPermissions, kp.Path, "%s", permissionText(kp, false))
	case strict:
		return problem(SourceFiles, entry, CheckPermissions, kp.Path, KeyModeRefused, "%s", permissionText(kp, false))
	}
	return problem(SourceFiles, entry, CheckPermissions, kp.Path, KeyModeLoose, "%s", permissionText(kp, true))
}

// permissionText gives the file's owner, group and mode, and PostgreSQL's
// verdict with its reason; it names the server's user only when key_owner
// set it (otherwise the file is judged for its owner). loose is a refused
// file that no configured server reads: the verdict is what PostgreSQL
// would say, not what a server says.
func permissionText(kp inspect.KeyPermission, loose bool) string {
	if kp.Err != nil {
		return fmt.Sprintf("cannot judge: %v", kp.Err)
	}
	facts := fmt.Sprintf("%s:%s %04o", kp.Owner, kp.Group, uint32(kp.Mode.Perm()))
	server := "PostgreSQL"
	if kp.KeyOwner != "" {
		server = fmt.Sprintf("PostgreSQL (running as %s)", kp.User)
	}
	switch {
	case kp.Verdict.OK() && kp.KeyOwner == "":
		return fmt.Sprintf("%s: %s accepts it for its owner %s", facts, server, kp.User)
	case kp.Verdict.OK():
		return fmt.Sprintf("%s: %s accepts it", facts, server)
	case loose:
		return fmt.Sprintf("%s: %s would refuse it as ssl_key_file: %s (no key_owner is set: set it to the server's user to judge for that user)",
			facts, server, kp.Verdict.Reason)
	}
	return fmt.Sprintf("%s: %s refuses it: %s", facts, server, kp.Verdict.Reason)
}

func leafSANs(fr *inspect.FileReport) string {
	if len(fr.Certificates) == 0 || fr.Certificates[0].SANs == "" {
		return "none"
	}
	return fr.Certificates[0].SANs
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

// verifiedText says what passed: the CA file as the anchor of chains, or
// an entry's chain as libpq verifies it, at the security level used.
func verifiedText(v *certs.Verification, isCA bool) string {
	if isCA {
		return fmt.Sprintf("self-signed, a CA, valid now: anchors chains as libpq verifies them (OpenSSL security level %d)", v.Level)
	}
	return fmt.Sprintf("chains to the configured CA as libpq verifies it (OpenSSL security level %d)", v.Level)
}
