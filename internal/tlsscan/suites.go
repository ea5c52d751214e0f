package tlsscan

import "github.com/magflow/pgtls_exporter/internal/ciphers"

// Protocol versions, as they travel in records and hellos.
const (
	versionSSL30 = ciphers.VersionSSL30
	versionTLS10 = ciphers.VersionTLS10
	versionTLS11 = ciphers.VersionTLS11
	versionTLS12 = ciphers.VersionTLS12
	versionTLS13 = ciphers.VersionTLS13
)

// Versions are the protocol versions a scan tries, oldest first, with the
// names PostgreSQL and OpenSSL give them.
func Versions() []Version {
	return []Version{{versionSSL30, "SSLv3"}, {versionTLS10, "TLSv1"}, {versionTLS11, "TLSv1.1"},
		{versionTLS12, "TLSv1.2"}, {versionTLS13, "TLSv1.3"}}
}

// Version is a protocol version and its name.
type Version struct {
	ID   uint16
	Name string
}

// Old reports whether the version is older than TLS 1.2.
func (v Version) Old() bool { return v.ID < versionTLS12 }

// suitesFor are the suites offered for a version: TLS 1.3's own for TLS
// 1.3, every other suite that version may use otherwise.
func suitesFor(v uint16) []ciphers.Suite {
	var out []ciphers.Suite
	for _, s := range ciphers.All() {
		if v == versionTLS13 && s.TLS13() || v != versionTLS13 && !s.TLS13() && s.MinVersion <= max(v, versionTLS10) {
			out = append(out, s)
		}
	}
	return out
}
