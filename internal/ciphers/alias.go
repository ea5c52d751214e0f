package ciphers

import (
	"slices"
	"strings"
)

// match is one cipher-string keyword: which suites it selects.
type match func(Suite) bool

func kx(names ...string) match  { return func(s Suite) bool { return slices.Contains(names, s.Kx) } }
func au(names ...string) match  { return func(s Suite) bool { return slices.Contains(names, s.Au) } }
func enc(names ...string) match { return func(s Suite) bool { return slices.Contains(names, s.Enc) } }
func mac(name string) match     { return func(s Suite) bool { return s.Mac == name } }
func minVersion(v uint16) match { return func(s Suite) bool { return s.MinVersion == v } }
func strength(c string) match   { return func(s Suite) bool { return s.Strength == c } }

func both(a, b match) match { return func(s Suite) bool { return a(s) && b(s) } }
func not(a match) match     { return func(s Suite) bool { return !a(s) } }

func bits(m match, n int) match { return func(s Suite) bool { return m(s) && s.Bits == n } }

// aliases are OpenSSL 3.0's cipher-string keywords (ssl/ssl_ciph.c,
// cipher_aliases), each as the suites it selects.
func aliases() map[string]match {
	// The suite families the aliases are made of.
	aes := enc("AES", "AESGCM", "AESCCM", "AESCCM8")
	camellia := enc("Camellia")
	aria := enc("ARIA", "ARIAGCM")
	eNULL := enc("None")
	aNULL := au("None")
	psk := kx("PSK", "RSAPSK", "ECDHEPSK", "DHEPSK")
	return map[string]match{
		"ALL":                 not(eNULL),
		"COMPLEMENTOFALL":     eNULL,
		"COMPLEMENTOFDEFAULT": func(s Suite) bool { return s.NotDefault },

		"kRSA": kx("RSA"), "kEDH": kx("DH"), "kDHE": kx("DH"), "DH": kx("DH"),
		"kEECDH": kx("ECDH"), "kECDHE": kx("ECDH"), "ECDH": kx("ECDH"),
		"kPSK": kx("PSK"), "kRSAPSK": kx("RSAPSK"), "kECDHEPSK": kx("ECDHEPSK"), "kDHEPSK": kx("DHEPSK"),
		"kSRP": kx("SRP"), "kGOST": kx("GOST"), "kGOST18": kx("GOST18"),

		"aRSA": au("RSA"), "aDSS": au("DSS"), "DSS": au("DSS"), "aNULL": aNULL,
		"aECDSA": au("ECDSA"), "ECDSA": au("ECDSA"), "aPSK": au("PSK"),
		"aGOST01": au("GOST01"), "aGOST12": au("GOST12"), "aGOST": au("GOST01", "GOST12"), "aSRP": au("SRP"),

		"EDH": both(kx("DH"), not(aNULL)), "DHE": both(kx("DH"), not(aNULL)),
		"EECDH": both(kx("ECDH"), not(aNULL)), "ECDHE": both(kx("ECDH"), not(aNULL)),
		"NULL": eNULL, "RSA": both(kx("RSA"), au("RSA")),
		"ADH": both(kx("DH"), aNULL), "AECDH": both(kx("ECDH"), aNULL),
		"PSK": psk, "SRP": kx("SRP"),

		"3DES": enc("3DES"), "RC4": enc("RC4"), "RC2": enc("RC2"), "IDEA": enc("IDEA"), "SEED": enc("SEED"),
		"eNULL": eNULL, "GOST": enc("GOST89", "GOST8912"),
		"AES128": bits(aes, 128), "AES256": bits(aes, 256), "AES": aes,
		"AESGCM": enc("AESGCM"), "AESCCM": enc("AESCCM", "AESCCM8"), "AESCCM8": enc("AESCCM8"),
		"CAMELLIA128": bits(camellia, 128), "CAMELLIA256": bits(camellia, 256), "CAMELLIA": camellia,
		"CHACHA20": enc("CHACHA20/POLY1305"),
		"ARIA":     aria, "ARIAGCM": enc("ARIAGCM"), "ARIA128": bits(aria, 128), "ARIA256": bits(aria, 256),
		"CBC": enc("AES", "Camellia", "ARIA", "DES", "3DES", "RC2", "IDEA", "SEED"),

		"MD5": mac("MD5"), "SHA1": mac("SHA1"), "SHA": mac("SHA1"), "SHA256": mac("SHA256"), "SHA384": mac("SHA384"),
		"GOST94": mac("GOST94"), "GOST89MAC": mac("GOST89MAC"), "GOST12": mac("GOST12"),

		"SSLv3": minVersion(VersionSSL30), "TLSv1": minVersion(VersionTLS10), "TLSv1.0": minVersion(VersionTLS10),
		"TLSv1.2": minVersion(VersionTLS12),

		"LOW": strength("LOW"), "MEDIUM": strength("MEDIUM"), "HIGH": strength("HIGH"),
		"FIPS": both(not(eNULL), func(s Suite) bool { return s.FIPS }),

		// OpenSSL 1.0.2's, which select only suites OpenSSL 3.0 no longer
		// builds (legacySuites), and nothing in a cipher string here.
		"EXPORT": strength("EXPORT"), "EXP": strength("EXPORT"), "DES": enc("DES"),
	}
}

// keyword returns what one element of a cipher string selects: an alias,
// a suite's OpenSSL name, or "A+B", the suites both select. ok is false
// for a name OpenSSL does not know, which selects nothing.
func keyword(elem string, known map[string]match) (match, bool) {
	var parts []match
	for _, name := range strings.Split(elem, "+") {
		m, ok := known[name]
		if !ok {
			m, ok = suiteNamed(name)
		}
		if !ok {
			return nil, false
		}
		parts = append(parts, m)
	}
	return func(s Suite) bool {
		for _, m := range parts {
			if !m(s) {
				return false
			}
		}
		return true
	}, true
}

// suiteNamed selects the suite OpenSSL calls name.
func suiteNamed(name string) (match, bool) {
	for _, s := range opensslSuites() {
		if s.OpenSSL == name && !s.TLS13() {
			return func(c Suite) bool { return c.ID == s.ID }, true
		}
	}
	return nil, false
}
