// Package ciphers is the one catalogue of TLS cipher suites and the one
// reading of OpenSSL cipher strings: which suites a string such as
// PostgreSQL's ssl_ciphers really enables, as OpenSSL decides it, and which
// of them the policy calls weak. The TLS scan offers these suites and the
// audit judges cipher settings with them, so a setting and an observation
// are classified alike.
package ciphers

//go:generate sh -c "go run ./gen > catalog_openssl.go"

// Protocol versions, as they travel in records and hellos.
const (
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// Suite is one cipher suite: its IANA number and name, OpenSSL's name, the
// oldest version it is used with and the attributes OpenSSL's cipher
// strings select on.
type Suite struct {
	ID   uint16
	Name string
	// OpenSSL is OpenSSL's name of the suite ("" for a suite OpenSSL 3.0
	// no longer builds).
	OpenSSL    string
	MinVersion uint16
	// Kx, Au, Enc and Mac are OpenSSL's key exchange, authentication,
	// cipher and MAC ("ECDH", "RSA", "AESGCM", "AEAD"); Bits the cipher's.
	Kx, Au, Enc string
	Bits        int
	Mac         string
	// Strength is OpenSSL's class: HIGH, MEDIUM, LOW, EXPORT or "" (NULL).
	Strength string
	// NotDefault marks suites outside OpenSSL's DEFAULT.
	NotDefault bool
	// FIPS marks FIPS 140-2 approved suites.
	FIPS bool
	// Level is the highest OpenSSL security level at which a server
	// without PSK or SRP can use the suite; -1: never.
	Level int
}

// TLS13 reports whether the suite is one of TLS 1.3's, which cipher
// strings do not select (ssl_ciphersuites / TLS 1.3 defaults do).
func (s Suite) TLS13() bool { return s.MinVersion == VersionTLS13 }

// StaticRSA reports whether the suite has no forward secrecy: the
// premaster secret travels under the server's RSA key (OpenSSL's kRSA).
func (s Suite) StaticRSA() bool { return s.Kx == "RSA" }

// All returns every suite: OpenSSL's, then those it no longer builds.
func All() []Suite { return append(opensslSuites(), legacySuites()...) }

// ByID returns the suite with IANA number id.
func ByID(id uint16) (Suite, bool) {
	for _, s := range All() {
		if s.ID == id {
			return s, true
		}
	}
	return Suite{}, false
}
