package ciphers

// legacySuites are suites OpenSSL 3.0 no longer builds, which servers on
// older OpenSSL may still accept (IANA TLS Cipher Suites registry; the
// classes are OpenSSL 1.0.2's and 1.1.1's).
func legacySuites() []Suite {
	rsa := func(id uint16, name, enc string, bits int, mac, strength string) Suite {
		return Suite{ID: id, Name: name, MinVersion: VersionSSL30, Kx: "RSA", Au: "RSA", Enc: enc, Bits: bits, Mac: mac, Strength: strength, NotDefault: true, Level: -1}
	}
	with := func(s Suite, kx, au string, min uint16) Suite {
		s.Kx, s.Au, s.MinVersion = kx, au, min
		return s
	}
	return []Suite{
		rsa(0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "RC4", 40, "MD5", "EXPORT"),
		rsa(0x0004, "TLS_RSA_WITH_RC4_128_MD5", "RC4", 128, "MD5", "MEDIUM"),
		rsa(0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4", 128, "SHA1", "MEDIUM"),
		rsa(0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", "RC2", 40, "MD5", "EXPORT"),
		rsa(0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "DES", 40, "SHA1", "EXPORT"),
		rsa(0x0009, "TLS_RSA_WITH_DES_CBC_SHA", "DES", 56, "SHA1", "LOW"),
		rsa(0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "3DES", 168, "SHA1", "MEDIUM"),
		with(rsa(0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", "DES", 40, "SHA1", "EXPORT"), "DH", "RSA", VersionSSL30),
		with(rsa(0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", "DES", 56, "SHA1", "LOW"), "DH", "RSA", VersionSSL30),
		with(rsa(0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", "3DES", 168, "SHA1", "MEDIUM"), "DH", "RSA", VersionSSL30),
		with(rsa(0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", "RC4", 40, "MD5", "EXPORT"), "DH", "None", VersionSSL30),
		with(rsa(0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "RC4", 128, "MD5", "MEDIUM"), "DH", "None", VersionSSL30),
		with(rsa(0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", "DES", 40, "SHA1", "EXPORT"), "DH", "None", VersionSSL30),
		with(rsa(0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA", "DES", 56, "SHA1", "LOW"), "DH", "None", VersionSSL30),
		with(rsa(0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", "3DES", 168, "SHA1", "MEDIUM"), "DH", "None", VersionSSL30),
		with(rsa(0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "RC4", 128, "SHA1", "MEDIUM"), "ECDH", "ECDSA", VersionTLS10),
		with(rsa(0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", "3DES", 168, "SHA1", "MEDIUM"), "ECDH", "ECDSA", VersionTLS10),
		with(rsa(0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "RC4", 128, "SHA1", "MEDIUM"), "ECDH", "RSA", VersionTLS10),
		with(rsa(0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "3DES", 168, "SHA1", "MEDIUM"), "ECDH", "RSA", VersionTLS10),
	}
}
