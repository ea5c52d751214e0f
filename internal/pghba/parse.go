package pghba

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Connection types of a rule.
const (
	TypeLocal        = "local"
	TypeHost         = "host"
	TypeHostSSL      = "hostssl"
	TypeHostNoSSL    = "hostnossl"
	TypeHostGSSEnc   = "hostgssenc"
	TypeHostNoGSSEnc = "hostnogssenc"
)

// Methods are the authentication methods PostgreSQL knows.
var Methods = []string{"trust", "reject", "ident", "peer", "password", "md5", "scram-sha-256", "gss", "sspi", "pam",
	"bsd", "ldap", "cert", "radius"}

// Rule is one record of pg_hba.conf, as pg_hba_file_rules shows it.
type Rule struct {
	// File is the absolute path of the file holding the record, Line its
	// line number there.
	File string
	Line int
	// Type is the connection type; empty when the record's type is invalid.
	Type      string
	Databases []string
	Users     []string
	// Address and Netmask are as written (an address, a CIDR range, a host
	// name, or all, samehost, samenet); empty for local records.
	Address, Netmask string
	// Method is the authentication method; empty when the record does not
	// get that far.
	Method string
	// Options are the name=value options after the method.
	Options []string
	// Error is PostgreSQL's message for a record it refuses.
	Error string
}

// Where is the rule's location: "FILE:LINE".
func (r Rule) Where() string { return r.File + ":" + strconv.Itoa(r.Line) }

// TCP reports whether the rule applies to TCP connections.
func (r Rule) TCP() bool { return r.Type != TypeLocal && r.Type != "" }

// Option returns the value of a name=value option, and whether it is set.
func (r Rule) Option(name string) (string, bool) {
	for _, o := range r.Options {
		if n, v, ok := strings.Cut(o, "="); ok && n == name {
			return v, true
		}
	}
	return "", false
}

// Parse reads the pg_hba.conf at path (absolute) and every file it
// includes through fsys, and returns its records in order. The error is
// for a file that cannot be read at all, or input beyond MaxInput; a
// record PostgreSQL would refuse is returned with its Error set.
func Parse(fsys FS, path string) ([]Rule, error) {
	t := &tokenizer{fsys: fsys, budget: MaxInput}
	data, err := t.read(path, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	lines := t.tokenizeFile(path, data, 0, nil)
	if t.err != nil {
		return nil, t.err
	}
	rules := make([]Rule, 0, len(lines))
	for _, l := range lines {
		rules = append(rules, parseLine(l))
	}
	return rules, nil
}

// parseLine checks one record as parse_hba_line does, in its order.
func parseLine(l line) Rule {
	r := Rule{File: l.file, Line: l.num}
	if l.err != "" {
		r.Error = l.err
		return r
	}
	r.Error = r.fill(l.fields)
	return r
}

// fill sets the rule's fields and returns PostgreSQL's error, if any.
func (r *Rule) fill(fields [][]token) string {
	if len(fields[0]) > 1 {
		return "multiple values specified for connection type"
	}
	switch typ := fields[0][0].text; typ {
	case TypeLocal, TypeHost, TypeHostSSL, TypeHostNoSSL, TypeHostGSSEnc, TypeHostNoGSSEnc:
		r.Type = typ
	default:
		return fmt.Sprintf("invalid connection type %q", typ)
	}
	next := 1
	field := func() []token {
		if next >= len(fields) {
			return nil
		}
		next++
		return fields[next-1]
	}
	if r.Databases = texts(field()); r.Databases == nil {
		return "end-of-line before database specification"
	}
	if r.Users = texts(field()); r.Users == nil {
		return "end-of-line before role specification"
	}
	if r.Type != TypeLocal {
		if msg := r.address(field); msg != "" {
			return msg
		}
	}
	method, msg := single(field(), "authentication method", "authentication type")
	if msg != "" {
		return msg
	}
	if msg := r.method(method.text); msg != "" {
		return msg
	}
	for f := field(); f != nil; f = field() {
		for _, o := range f {
			r.Options = append(r.Options, o.text)
			if msg := r.option(o.text); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// single is the one token of a field, or PostgreSQL's message for a
// field that is missing (before) or holds a list (what).
func single(f []token, before, what string) (token, string) {
	switch {
	case f == nil:
		return token{}, "end-of-line before " + before
	case len(f) > 1:
		return token{}, "multiple values specified for " + what
	}
	return f[0], ""
}

func texts(tokens []token) []string {
	if tokens == nil {
		return nil
	}
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = t.text
	}
	return out
}

// address reads the address field, and the netmask field after a bare
// IP address.
func (r *Rule) address(field func() []token) string {
	tok, msg := single(field(), "IP address specification", "host address")
	if msg != "" {
		return msg
	}
	r.Address = tok.text
	if !tok.quoted && (tok.text == "all" || tok.text == "samehost" || tok.text == "samenet") {
		return ""
	}
	host, bits, hasMask := strings.Cut(tok.text, "/")
	addr, err := netip.ParseAddr(host)
	if err != nil { // not numeric: a host name
		if hasMask {
			return fmt.Sprintf("specifying both host name and CIDR mask is invalid: %q", tok.text)
		}
		return ""
	}
	if hasMask {
		n, err := strconv.Atoi(bits)
		if err != nil || n < 0 || n > addr.BitLen() || strings.TrimLeft(bits, "0123456789") != "" {
			return fmt.Sprintf("invalid CIDR mask in address %q", tok.text)
		}
		return ""
	}
	m, msg := single(field(), "netmask specification", "netmask")
	if msg != "" {
		return msg
	}
	r.Netmask = m.text
	mask, err := netip.ParseAddr(m.text)
	if err != nil {
		return fmt.Sprintf("invalid IP mask %q: Name or service not known", m.text)
	}
	if mask.Is4() != addr.Is4() {
		return "IP address and mask do not match"
	}
	return ""
}

// method checks the authentication method against the connection type.
func (r *Rule) method(m string) string {
	if !slices.Contains(Methods, m) {
		return fmt.Sprintf("invalid authentication method %q", m)
	}
	if r.Type == TypeLocal && m == "ident" {
		m = "peer" // as PostgreSQL does, for backwards compatibility
	}
	r.Method = m
	switch {
	case r.Type == TypeLocal && m == "gss":
		return "gssapi authentication is not supported on local sockets"
	case r.Type != TypeLocal && m == "peer":
		return "peer authentication is only supported on local sockets"
	case r.Type != TypeHostSSL && m == "cert":
		return "cert authentication is only supported on hostssl connections"
	}
	return ""
}

// optionNames are the authentication options PostgreSQL knows.
var optionNames = []string{"map", "clientcert", "clientname", "pamservice", "pam_use_hostname", "ldapurl", "ldaptls",
	"ldapscheme", "ldapserver", "ldapport", "ldapbinddn", "ldapbindpasswd", "ldapsearchattribute", "ldapsearchfilter",
	"ldapbasedn", "ldapprefix", "ldapsuffix", "krb_realm", "include_realm", "compat_realm", "upn_username",
	"radiusservers", "radiusserver", "radiussecrets", "radiussecret", "radiusports", "radiusport",
	"radiusidentifiers", "radiusidentifier"}

// option checks one name=value option: its form, its name, and the
// options that depend on the connection type or method.
func (r *Rule) option(o string) string {
	name, val, ok := strings.Cut(o, "=")
	switch {
	case !ok:
		return "authentication option not in name=value format: " + o
	case !slices.Contains(optionNames, name):
		return fmt.Sprintf("unrecognized authentication option name: %q", name)
	case name == "map" && !slices.Contains([]string{"ident", "peer", "gss", "sspi", "cert"}, r.Method):
		return `authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, and cert`
	case (name == "clientcert" || name == "clientname") && r.Type != TypeHostSSL:
		return fmt.Sprintf("%s can only be configured for \"hostssl\" rows", name)
	case name == "clientcert" && val == "verify-ca" && r.Method == "cert":
		return `clientcert can only be set to "verify-full" when using "cert" authentication`
	case name == "clientcert" && val != "verify-ca" && val != "verify-full":
		return fmt.Sprintf("invalid value for clientcert: %q", val)
	case name == "clientname" && val != "CN" && val != "DN":
		return fmt.Sprintf("invalid value for clientname: %q", val)
	}
	return ""
}
