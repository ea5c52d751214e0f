// Package inspect reads the configured certificate, key and CA files, judges
// them with package certs, and returns reports that both the Prometheus
// collector and the check command render. Reports are cached by file
// identity, so an unchanged file costs one stat per inspection.
package inspect

import (
	"crypto/x509"
	"io/fs"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/libpq"
)

// Role is the part a file plays in an entry.
type Role string

// File roles.
const (
	RoleCert     Role = "cert"
	RoleKey      Role = "key"
	RoleCombined Role = "combined"
	RoleCA       Role = "ca"
)

// CertFacts is what reports keep of one certificate.
type CertFacts struct {
	Serial      string
	Subject     string
	Issuer      string
	Fingerprint string
	SANs        string
	NotBefore   time.Time
	NotAfter    time.Time
	IsCA        bool
}

// Facts extracts what reports keep of a certificate.
func Facts(c *x509.Certificate) CertFacts {
	return CertFacts{
		Serial:      certs.Serial(c),
		Subject:     c.Subject.String(),
		Issuer:      c.Issuer.String(),
		Fingerprint: certs.Fingerprint(c),
		SANs:        certs.SANs(c),
		NotBefore:   c.NotBefore,
		NotAfter:    c.NotAfter,
		IsCA:        c.IsCA,
	}
}

// FileReport is one configured file.
type FileReport struct {
	Role Role
	// Path is the path as configured (labels and findings use it).
	Path string
	// Err is why the file could not be read or parsed; nil on success.
	Err error
	// Certificates found in the file, in file order.
	Certificates []CertFacts
	// Key describes the private key found, e.g. "ECDSA P-256 (SEC1)"; empty
	// when the file holds none.
	Key string
}

// NameCoverage tells whether the certificate covers one expected name, as
// libpq decides it (certs.MatchName).
type NameCoverage struct {
	Name  string
	Match libpq.HostMatch
}

// Covered reports whether a SAN covers Name for libpq: one of Name's kind,
// or a DNS SAN holding an IP address as text.
func (n NameCoverage) Covered() bool {
	return n.Match == libpq.MatchSAN || n.Match == libpq.MatchIPAsDNS
}

// CommonNameOnly reports whether only the subject common name covers Name,
// which libpq accepts and SAN-only clients refuse.
func (n NameCoverage) CommonNameOnly() bool { return n.Match == libpq.MatchCommonName }

// KeyMatch tells whether a key file (or combined PEM) belongs to the
// entry's certificate.
type KeyMatch struct {
	Role Role
	Path string
	OK   bool
	// Err explains a failed match (ErrKeyEncrypted when undecidable).
	Err error
}

// KeyPermission is PostgreSQL's judgement of a key-bearing file.
type KeyPermission struct {
	Role  Role
	Path  string
	Mode  fs.FileMode
	UID   uint32
	GID   uint32
	Owner string // user name of UID, or the number
	Group string // group name of GID, or the number
	// User is who the file was judged for (key_owner, or the file's owner).
	User string
	// KeyOwner is key_owner as configured for this file; empty when the
	// file was judged for its owner.
	KeyOwner string
	Verdict  certs.KeyFileVerdict
	// Err is set when the file could not be judged (stat or user lookup failed).
	Err error
}

// OK reports whether the file would be accepted and read.
func (p KeyPermission) OK() bool { return p.Err == nil && p.Verdict.OK() }

// EntryReport is everything found about one certificate entry (or the CA).
type EntryReport struct {
	Name string
	// ExpectedNames are the configured expected_names, judged or not.
	ExpectedNames []string
	// CAConfigured is true when the configuration names a CA to verify
	// against (usable or not).
	CAConfigured bool
	// Files in the order cert, key, combined (only configured ones).
	Files []FileReport
	// Names is nil when the certificate could not be read.
	Names []NameCoverage
	// Verify is nil when the certificate could not be read or there is no
	// usable CA.
	Verify         *certs.Verification
	KeyMatches     []KeyMatch
	KeyPermissions []KeyPermission
	// LeafNotFirst says why the certificate file does not start with the
	// server's own certificate (PostgreSQL and PgBouncer present the first
	// one); empty when it does. The names, chain and key are then judged
	// for the first certificate, as the servers would present it.
	LeafNotFirst string
}

// Coverage is how the certificate covers name (zero when not judged).
func (e *EntryReport) Coverage(name string) NameCoverage {
	for _, n := range e.Names {
		if n.Name == name {
			return n
		}
	}
	return NameCoverage{Name: name}
}

// CertFile returns the report of the entry's certificate file.
func (e *EntryReport) CertFile() *FileReport {
	for i := range e.Files {
		if e.Files[i].Role == RoleCert || e.Files[i].Role == RoleCA {
			return &e.Files[i]
		}
	}
	return nil
}

// Report is one inspection of every configured file.
type Report struct {
	Time time.Time
	// CA is nil when no CA is configured.
	CA      *EntryReport
	Entries []*EntryReport
	// Authority is the configured CA, nil when its file is unusable.
	Authority *certs.Authority
}

// Entry returns the report of the named certificate entry, or nil.
func (r *Report) Entry(name string) *EntryReport {
	for _, e := range r.Entries {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// All returns the CA report (when a CA is configured) followed by every
// entry.
func (r *Report) All() []*EntryReport {
	if r.CA == nil {
		return r.Entries
	}
	return append([]*EntryReport{r.CA}, r.Entries...)
}
