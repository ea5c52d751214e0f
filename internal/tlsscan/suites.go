package tlsscan

import "strings"

// Protocol versions, as they travel in records and hellos.
const (
	versionSSL30 uint16 = 0x0300
	versionTLS10 uint16 = 0x0301
	versionTLS11 uint16 = 0x0302
	versionTLS12 uint16 = 0x0303
	versionTLS13 uint16 = 0x0304
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

// Suite is one cipher suite: its IANA number and name, the oldest version
// it is used with, and OpenSSL's key exchange and cipher classes.
type Suite struct {
	ID         uint16
	Name       string
	MinVersion uint16
	Kx, Enc    string
	// OpenSSL is OpenSSL's name of the suite ("" for legacySuites).
	OpenSSL string
}

// Weak says why a suite is weak (NULL, anon, EXPORT, DES, 3DES, RC4), or
// "" when it is not.
func (s Suite) Weak() string {
	switch {
	case s.Enc == "None" || strings.Contains(s.Name, "_NULL_"):
		return "NULL"
	case strings.Contains(s.Name, "_anon_"):
		return "anon"
	case strings.Contains(s.Name, "EXPORT"):
		return "EXPORT"
	case strings.Contains(s.Name, "3DES"):
		return "3DES"
	case strings.Contains(s.Name, "_DES_") || strings.Contains(s.Name, "DES40"):
		return "DES"
	case strings.Contains(s.Name, "RC4"):
		return "RC4"
	}
	return ""
}

// StaticRSA reports whether the suite has no forward secrecy: the
// premaster secret travels under the server's RSA key.
func (s Suite) StaticRSA() bool { return strings.HasPrefix(s.Name, "TLS_RSA_WITH_") }

// legacySuites are suites OpenSSL 3.0 no longer builds, which servers on
// older OpenSSL may still accept (IANA TLS Cipher Suites registry).
func legacySuites() []Suite {
	return []Suite{
		{ID: 0x0003, Name: "TLS_RSA_EXPORT_WITH_RC4_40_MD5", MinVersion: versionSSL30, Kx: "RSA", Enc: "RC4(40)"},
		{ID: 0x0004, Name: "TLS_RSA_WITH_RC4_128_MD5", MinVersion: versionSSL30, Kx: "RSA", Enc: "RC4(128)"},
		{ID: 0x0005, Name: "TLS_RSA_WITH_RC4_128_SHA", MinVersion: versionSSL30, Kx: "RSA", Enc: "RC4(128)"},
		{ID: 0x0006, Name: "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", MinVersion: versionSSL30, Kx: "RSA", Enc: "RC2(40)"},
		{ID: 0x0008, Name: "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", MinVersion: versionSSL30, Kx: "RSA", Enc: "DES(40)"},
		{ID: 0x0009, Name: "TLS_RSA_WITH_DES_CBC_SHA", MinVersion: versionSSL30, Kx: "RSA", Enc: "DES(56)"},
		{ID: 0x000A, Name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", MinVersion: versionSSL30, Kx: "RSA", Enc: "3DES(168)"},
		{ID: 0x0014, Name: "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", MinVersion: versionSSL30, Kx: "DH", Enc: "DES(40)"},
		{ID: 0x0015, Name: "TLS_DHE_RSA_WITH_DES_CBC_SHA", MinVersion: versionSSL30, Kx: "DH", Enc: "DES(56)"},
		{ID: 0x0016, Name: "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", MinVersion: versionSSL30, Kx: "DH", Enc: "3DES(168)"},
		{ID: 0x0017, Name: "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", MinVersion: versionSSL30, Kx: "DH", Enc: "RC4(40)"},
		{ID: 0x0018, Name: "TLS_DH_anon_WITH_RC4_128_MD5", MinVersion: versionSSL30, Kx: "DH", Enc: "RC4(128)"},
		{ID: 0x0019, Name: "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", MinVersion: versionSSL30, Kx: "DH", Enc: "DES(40)"},
		{ID: 0x001A, Name: "TLS_DH_anon_WITH_DES_CBC_SHA", MinVersion: versionSSL30, Kx: "DH", Enc: "DES(56)"},
		{ID: 0x001B, Name: "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", MinVersion: versionSSL30, Kx: "DH", Enc: "3DES(168)"},
		{ID: 0xC007, Name: "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", MinVersion: versionTLS10, Kx: "ECDH", Enc: "RC4(128)"},
		{ID: 0xC008, Name: "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", MinVersion: versionTLS10, Kx: "ECDH", Enc: "3DES(168)"},
		{ID: 0xC011, Name: "TLS_ECDHE_RSA_WITH_RC4_128_SHA", MinVersion: versionTLS10, Kx: "ECDH", Enc: "RC4(128)"},
		{ID: 0xC012, Name: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", MinVersion: versionTLS10, Kx: "ECDH", Enc: "3DES(168)"},
	}
}

// suitesFor are the suites offered for a version: TLS 1.3's own for TLS
// 1.3, every other suite that version may use otherwise.
func suitesFor(v uint16) []Suite {
	var out []Suite
	for _, list := range [][]Suite{opensslSuites(), legacySuites()} {
		for _, s := range list {
			tls13 := s.MinVersion == versionTLS13
			if v == versionTLS13 && tls13 || v != versionTLS13 && !tls13 && s.MinVersion <= max(v, versionTLS10) {
				out = append(out, s)
			}
		}
	}
	return out
}
