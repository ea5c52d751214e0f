package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/ciphers"
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

// olderThanPolicy lists the versions from min (PostgreSQL's
// ssl_min_protocol_version; empty accepts any) up to the policy's minimum.
func olderThanPolicy(min string, p Policy) []string {
	var out []string
	for _, v := range config.TLSVersions {
		if tlsRank(v) >= tlsRank(min) && p.OldTLS(v) {
			out = append(out, v)
		}
	}
	return out
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
// strings they stand for (libusual, usual/tls/tls_internal.h and
// tls_config.c): default and secure, normal, fast, compat and legacy, all
// and insecure.
func pgbouncerCiphers() map[string]string {
	const (
		defaults = "HIGH+EECDH:HIGH+EDH:!SSLv3:!SHA384:!SHA256:!DSS:!aNULL"
		normal   = "HIGH+EECDH:HIGH+EDH:HIGH+RSA:+SHA384:+SHA256:+SSLv3:+EDH:+RSA:-3DES:3DES+RSA:!CAMELLIA:!DSS:!aNULL"
		fast     = "HIGH+EECDH:HIGH+EDH:HIGH+RSA:+AES256:+SHA256:+SHA384:+SSLv3:+EDH:+RSA:-3DES:3DES+RSA:!CAMELLIA:!DSS:!aNULL"
		compat   = "HIGH:+3DES:!aNULL"
		all      = "ALL:!aNULL:!eNULL"
	)
	return map[string]string{"default": defaults, "secure": defaults, "normal": normal, "fast": fast,
		"compat": compat, "legacy": compat, "all": all, "insecure": all}
}

// weakEnabled returns the suites an enabled set holds that the policy
// calls weak, each with the keyword that makes it so.
func weakEnabled(suites []ciphers.Suite, p Policy) []string {
	var out []string
	for _, s := range suites {
		if k := p.Weak.Of(s); k != "" {
			out = append(out, fmt.Sprintf("%s (%s)", s.OpenSSL, k))
		}
	}
	return out
}

// listSome joins names, at most five, saying how many more there are.
func listSome(names []string) string {
	const most = 5
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}
