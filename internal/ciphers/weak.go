package ciphers

// Weakness is a compiled list of OpenSSL cipher-string keywords (as
// audit.policy.weak_ciphers lists them): the one test of a weak suite,
// for settings and scans alike. Compile it once; Of is cheap.
type Weakness struct {
	keywords []string
	matches  []match
}

// CompileWeakness compiles keywords; a keyword OpenSSL does not know
// selects nothing.
func CompileWeakness(keywords []string) Weakness {
	known := aliases()
	w := Weakness{}
	for _, k := range keywords {
		if m, ok := keyword(k, known); ok {
			w.keywords, w.matches = append(w.keywords, k), append(w.matches, m)
		}
	}
	return w
}

// Of returns the first keyword that selects s, or "" when none does.
func (w Weakness) Of(s Suite) string {
	for i, m := range w.matches {
		if m(s) {
			return w.keywords[i]
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
