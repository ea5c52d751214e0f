package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/config"
)

// tlsRank orders TLS versions; PostgreSQL's empty ssl_min_protocol_version
// (PostgreSQL 12) accepts any.
func tlsRank(v string) int {
	if i := slices.Index(config.TLSVersions, v); i >= 0 {
		return i
	}
	return -1
}

// sslModes are libpq's and PgBouncer's sslmodes, weakest first.
var sslModes = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

// sslModeRank is the rank of an sslmode (case-insensitive, as PgBouncer
// reads it), -1 for a value PgBouncer refuses.
func sslModeRank(m string) int { return slices.Index(sslModes, strings.ToLower(m)) }

// pgbouncerProtocols parses client_tls_protocols or server_tls_protocols
// as PgBouncer's tls_config_parse_protocols does and returns the versions
// it allows, oldest first; ok is false for a value PgBouncer refuses.
func pgbouncerProtocols(spec string) (versions []string, ok bool) {
	const all = 0b1111
	bits := 0
	// strsep on ",:" yields empty elements too, which PgBouncer refuses.
	for _, t := range strings.Split(strings.ReplaceAll(spec, ":", ","), ",") {
		t = strings.TrimLeft(t, " \t")
		negate := strings.HasPrefix(t, "!")
		if negate {
			t = t[1:]
			if bits == 0 {
				bits = all
			}
		}
		var v int
		switch strings.ToLower(t) {
		case "all", "legacy", "tlsv1":
			v = all
		case "default", "secure":
			v = 0b1100
		case "tlsv1.0":
			v = 0b0001
		case "tlsv1.1":
			v = 0b0010
		case "tlsv1.2":
			v = 0b0100
		case "tlsv1.3":
			v = 0b1000
		default:
			return nil, false
		}
		if negate {
			bits &^= v
		} else {
			bits |= v
		}
	}
	for i, name := range config.TLSVersions {
		if bits&(1<<i) != 0 {
			versions = append(versions, name)
		}
	}
	return versions, true
}

// pgbouncerCiphers are PgBouncer's cipher shortcuts and the OpenSSL cipher
// strings they are judged as: the default ones take OpenSSL's defaults.
var pgbouncerCiphers = map[string]string{"default": "DEFAULT", "secure": "DEFAULT", "normal": "DEFAULT", "fast": "DEFAULT",
	"compat": "HIGH:!aNULL", "legacy": "HIGH:MEDIUM:!aNULL", "all": "ALL", "insecure": "ALL"}

// cipherAliases map OpenSSL keywords and cipher-name parts to the class
// they select.
var cipherAliases = map[string]string{"eNULL": "NULL", "ADH": "aNULL", "AECDH": "aNULL", "EXP": "EXPORT", "CBC3": "3DES"}

func cipherClass(k string) string {
	if c, ok := cipherAliases[k]; ok {
		return c
	}
	return k
}

// cipherClasses are the classes a cipher-string element selects: a
// keyword (MEDIUM, aNULL) or a cipher name (DES-CBC3-SHA selects 3DES,
// ADH-AES128-SHA aNULL); "A+B" combines them. allButNULL is true for ALL
// and COMPLEMENTOFDEFAULT, which select every class but NULL.
func cipherClasses(elem string) (classes []string, allButNULL bool) {
	for _, part := range strings.Split(elem, "+") {
		switch part {
		case "ALL", "COMPLEMENTOFDEFAULT":
			allButNULL = true
			continue
		case "COMPLEMENTOFALL":
			classes = append(classes, "NULL")
			continue
		}
		classes = append(classes, cipherClass(part))
		names := strings.Split(part, "-")
		for _, n := range names {
			if n == "DES" && slices.Contains(names, "CBC3") {
				continue // DES-CBC3-SHA is triple DES
			}
			if n != part {
				classes = append(classes, cipherClass(n))
			}
		}
	}
	return classes, allButNULL
}

// weakCiphers returns the policy's keywords an OpenSSL cipher string
// enables, following its operators: an element adds, "-" removes (it may
// be added again), "!" removes for good, "+" only moves; "@" directives
// select nothing.
func weakCiphers(spec string, weak []string) []string {
	const (
		on = iota + 1
		off
		killed
	)
	state := map[string]int{}
	allOn := false
	for _, elem := range strings.FieldsFunc(spec, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		op := elem[0]
		if op == '!' || op == '-' || op == '+' {
			elem = elem[1:]
		}
		if elem == "" || elem[0] == '@' || op == '+' {
			continue
		}
		classes, everything := cipherClasses(elem)
		set := func(c string, to int) {
			if state[c] != killed {
				state[c] = to
			}
		}
		switch op {
		case '!', '-':
			to := map[byte]int{'!': killed, '-': off}[op]
			for _, c := range classes {
				set(c, to)
			}
			if everything {
				allOn = false
				for _, k := range weak {
					set(cipherClass(k), to)
				}
			}
		default:
			for _, c := range classes {
				set(c, on)
			}
			if everything {
				allOn = true
				for c, s := range state {
					if s == off {
						delete(state, c)
					}
				}
			}
		}
	}
	var out []string
	for _, k := range weak {
		c := cipherClass(k)
		if s := state[c]; s == on || s == 0 && allOn && c != "NULL" {
			out = append(out, k)
		}
	}
	return out
}

// cipherVerdict describes a cipher setting's weak keywords for a detail.
func cipherVerdict(name, value string, weak []string) string {
	if len(weak) == 0 {
		return fmt.Sprintf("%s = %s enables none of the weak suites", name, orDash(value))
	}
	return fmt.Sprintf("%s = %s enables %s (audit.policy.weak_ciphers)", name, value, strings.Join(weak, ", "))
}
