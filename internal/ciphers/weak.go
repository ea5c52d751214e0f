package ciphers

// Weak returns the first of keywords (OpenSSL cipher-string keywords, as
// audit.policy.weak_ciphers lists them) that selects s, or "" when none
// does: the one test of a weak suite, for settings and scans alike.
func Weak(s Suite, keywords []string) string {
	known := aliases()
	for _, k := range keywords {
		if m, ok := keyword(k, known); ok && m(s) {
			return k
		}
	}
	return ""
}

// Known reports whether OpenSSL knows keyword as an alias or a suite name
// (A+B: each part), for checking a policy's keywords.
func Known(name string) bool {
	_, ok := keyword(name, aliases())
	return ok
}
