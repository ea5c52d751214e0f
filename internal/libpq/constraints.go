package libpq

import (
	"bytes"
	"encoding/asn1"
	"net"
	"strings"
)

// nameConstraints are a CA's permitted and excluded subtrees.
type nameConstraints struct {
	permitted, excluded []generalName
}

// parseNameConstraints reads the extension; nil when absent, and nil with
// ok false when it does not parse.
func (c *cert) nameConstraints() (nc *nameConstraints, ok bool) {
	for _, e := range c.x.Extensions {
		if !e.Id.Equal(oidNameConstraints) {
			continue
		}
		var seq asn1.RawValue
		if rest, err := asn1.Unmarshal(e.Value, &seq); err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence {
			return nil, false
		}
		nc = &nameConstraints{}
		for in := seq.Bytes; len(in) > 0; {
			var part asn1.RawValue
			rest, err := asn1.Unmarshal(in, &part)
			if err != nil || part.Class != asn1.ClassContextSpecific || part.Tag > 1 {
				return nil, false
			}
			bases, ok := parseSubtrees(part.Bytes)
			if !ok {
				return nil, false
			}
			if part.Tag == 0 {
				nc.permitted = append(nc.permitted, bases...)
			} else {
				nc.excluded = append(nc.excluded, bases...)
			}
			in = rest
		}
		return nc, true
	}
	return nil, true
}

// parseSubtrees reads GeneralSubtrees, keeping each subtree's base.
func parseSubtrees(in []byte) ([]generalName, bool) {
	var out []generalName
	for len(in) > 0 {
		var sub asn1.RawValue
		rest, err := asn1.Unmarshal(in, &sub)
		if err != nil || sub.Tag != asn1.TagSequence {
			return nil, false
		}
		var base asn1.RawValue
		if _, err := asn1.Unmarshal(sub.Bytes, &base); err != nil || base.Class != asn1.ClassContextSpecific {
			return nil, false
		}
		value := base.Bytes
		if base.Tag == tagDirName { // [4] EXPLICIT Name: keep the Name's DER
			value = bytes.Clone(base.Bytes)
		}
		out = append(out, generalName{tag: base.Tag, value: value})
		in = rest
	}
	return out, true
}

// checkNameConstraints is x509_vfy.c's check_name_constraints over the
// built chain: every certificate (self-issued ones only as the leaf)
// against the constraints of each certificate above it; for the leaf
// without a DNS SAN, its common name too when it reads as a DNS name.
func checkNameConstraints(chain []*cert) *ChainError {
	for i := len(chain) - 1; i >= 0; i-- {
		x := chain[i]
		if i != 0 && x.selfIssued {
			continue
		}
		for j := len(chain) - 1; j > i; j-- {
			nc, ok := chain[j].nameConstraints()
			if !ok {
				return &ChainError{Code: ErrUnsupportedConstraintType, Depth: i, Cert: x.x}
			}
			if nc == nil {
				continue
			}
			code := nc.check(x)
			if code == 0 && i == 0 && !x.hasSAN(tagDNS) {
				code = nc.checkCommonName(x)
			}
			if code != 0 {
				return &ChainError{Code: code, Depth: i, Cert: x.x}
			}
		}
	}
	return nil
}

func (c *cert) hasSAN(tag int) bool {
	for _, s := range c.sans {
		if s.tag == tag {
			return true
		}
	}
	return false
}

// check is NAME_CONSTRAINTS_check: the subject as a directory name, its
// emailAddress attributes (X509_V_ERR_UNSUPPORTED_NAME_SYNTAX unless
// IA5String), then each SAN.
func (nc *nameConstraints) check(x *cert) Code {
	if len(x.subject) > 0 {
		if code := nc.match(generalName{tag: tagDirName, value: x.x.RawSubject}); code != 0 {
			return code
		}
		for _, v := range rawAttributes(x.x.RawSubject, oidEmailAddress) {
			// OpenSSL takes an emailAddress only as an IA5String.
			if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagIA5String {
				return ErrUnsupportedNameSyntax
			}
			if code := nc.match(generalName{tag: tagEmail, value: v.Bytes}); code != 0 {
				return code
			}
		}
	}
	for _, san := range x.sans {
		if code := nc.match(san); code != 0 {
			return code
		}
	}
	return 0
}

// checkCommonName is NAME_CONSTRAINTS_check_CN: each common name that
// reads as a DNS name of two or more labels (cn2dnsid) against the DNS
// constraints.
func (nc *nameConstraints) checkCommonName(x *cert) Code {
	for _, atv := range x.x.Subject.Names {
		s, ok := atv.Value.(string)
		if !ok || !atv.Type.Equal(oidCommonName) || !looksLikeDNSName(s) {
			continue
		}
		if code := nc.match(generalName{tag: tagDNS, value: []byte(s)}); code != 0 {
			return code
		}
	}
	return 0
}

// looksLikeDNSName is cn2dnsid's test: letters, digits, '_', inner '-'
// and inner '.' not next to another '.' or a '-', and at least one '.'.
func looksLikeDNSName(s string) bool {
	dns := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			continue
		}
		if i > 0 && i < len(s)-1 {
			if c == '-' {
				continue
			}
			if c == '.' && s[i+1] != '.' && s[i-1] != '-' && s[i+1] != '-' {
				dns = true
				continue
			}
		}
		return false
	}
	return dns
}

// match is nc_match: when permitted subtrees of the name's type exist, one
// must match; no excluded subtree of its type may.
func (nc *nameConstraints) match(name generalName) Code {
	state := 0 // 0 no subtree of the type, 1 none matched yet, 2 matched
	for _, base := range nc.permitted {
		if base.tag != name.tag || state == 2 {
			continue
		}
		state = 1
		switch code := matchSingle(name, base); code {
		case 0:
			state = 2
		case ErrPermittedViolation:
		default:
			return code
		}
	}
	if state == 1 {
		return ErrPermittedViolation
	}
	for _, base := range nc.excluded {
		if base.tag != name.tag {
			continue
		}
		switch code := matchSingle(name, base); code {
		case 0:
			return ErrExcludedViolation
		case ErrPermittedViolation:
		default:
			return code
		}
	}
	return 0
}

// matchSingle is nc_match_single: 0 when name lies in base's subtree,
// ErrPermittedViolation when not, another code when it cannot be judged.
func matchSingle(name, base generalName) Code {
	switch name.tag {
	case tagDNS:
		return matchDNS(string(name.value), string(base.value))
	case tagEmail:
		return matchEmail(string(name.value), string(base.value))
	case tagURI:
		return matchURI(string(name.value), string(base.value))
	case tagIP:
		return matchIP(name.value, base.value)
	case tagDirName:
		if canonicalName(name.value).hasPrefix(canonicalName(base.value)) {
			return 0
		}
		return ErrPermittedViolation
	}
	return ErrUnsupportedConstraintType
}

// matchDNS is nc_dns: an empty base matches all; otherwise the name ends
// with the base (ignoring case), after a '.' unless the base starts with
// one.
func matchDNS(name, base string) Code {
	if base == "" {
		return 0
	}
	if len(name) < len(base) {
		return ErrPermittedViolation
	}
	tail := name[len(name)-len(base):]
	if len(name) > len(base) && base[0] != '.' && name[len(name)-len(base)-1] != '.' {
		return ErrPermittedViolation
	}
	if !asciiEqualFold(tail, base) {
		return ErrPermittedViolation
	}
	return 0
}

// matchEmail is nc_email: a base starting with '.' matches the end of the
// address; a base with a local part matches it exactly (case-sensitively);
// the host parts must be equal ignoring case.
func matchEmail(addr, base string) Code {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ErrUnsupportedNameSyntax
	}
	baseAt := strings.LastIndexByte(base, '@')
	if baseAt < 0 && base != "" && base[0] == '.' {
		if len(addr) > len(base) && asciiEqualFold(addr[len(addr)-len(base):], base) {
			return 0
		}
		return ErrPermittedViolation
	}
	baseHost := base
	if baseAt >= 0 {
		if baseAt > 0 && base[:baseAt] != addr[:at] {
			return ErrPermittedViolation
		}
		baseHost = base[baseAt+1:]
	}
	if !asciiEqualFold(baseHost, addr[at+1:]) {
		return ErrPermittedViolation
	}
	return 0
}

// matchURI is nc_uri: the host of scheme://host[:port][/...] against the
// base, a leading '.' matching the end of the host.
func matchURI(uri, base string) Code {
	colon := strings.IndexByte(uri, ':')
	if colon < 0 || !strings.HasPrefix(uri[colon:], "://") {
		return ErrUnsupportedNameSyntax
	}
	host := uri[colon+3:]
	if end := strings.IndexByte(host, ':'); end >= 0 {
		host = host[:end]
	} else if end := strings.IndexByte(host, '/'); end >= 0 {
		host = host[:end]
	}
	if host == "" {
		return ErrUnsupportedNameSyntax
	}
	if base != "" && base[0] == '.' {
		if len(host) > len(base) && asciiEqualFold(host[len(host)-len(base):], base) {
			return 0
		}
		return ErrPermittedViolation
	}
	if !asciiEqualFold(host, base) {
		return ErrPermittedViolation
	}
	return 0
}

// matchIP is nc_ip: base is an address and a mask of twice the address'
// length; IPv4 never matches an IPv6 base.
func matchIP(ip, base []byte) Code {
	if len(ip) != net.IPv4len && len(ip) != net.IPv6len || len(base) != 8 && len(base) != 32 {
		return ErrUnsupportedNameSyntax
	}
	if 2*len(ip) != len(base) {
		return ErrPermittedViolation
	}
	mask := base[len(ip):]
	for i := range ip {
		if ip[i]&mask[i] != base[i]&mask[i] {
			return ErrPermittedViolation
		}
	}
	return 0
}
