package libpq

import (
	"bytes"
	"crypto/x509"
	"net"
	"strconv"
	"strings"
)

// HostMatch says how libpq accepted the host.
type HostMatch int

// The ways libpq matches a host, from pgtls_verify_peer_name_matches_certificate_guts.
const (
	// NoMatch: libpq refuses the certificate for this host.
	NoMatch HostMatch = iota
	// MatchSAN: a SAN of the host's kind (DNS name or IP address) matches.
	MatchSAN
	// MatchIPAsDNS: the host is an IP address and a DNS SAN holds it as
	// text (DNS:10.0.0.5). libpq compares DNS SANs with the host string
	// whatever the host is; Go's crypto/tls and rustls refuse this.
	MatchIPAsDNS
	// MatchCommonName: no SAN of the host's kind, and the subject's common
	// name matches. SAN-only clients refuse this.
	MatchCommonName
)

// MatchHost applies libpq's host name rule for sslmode=verify-full to the
// leaf: fe-secure-openssl.c, pgtls_verify_peer_name_matches_certificate_guts,
// with pq_verify_peer_name_matches_certificate_name and _ip of
// fe-secure-common.c. The host is an IP address when inet_aton or
// inet_pton(AF_INET6) reads it. Every SAN is tried in order: a DNS SAN is
// compared with the host as text (case-insensitively, or as a "*." wildcard
// standing for one label), an IP SAN with the host's address. The common
// name is tried only when no SAN of the host's kind exists, even for an IP
// host with DNS SANs. The error, when not nil, is libpq's message.
func MatchHost(leaf *x509.Certificate, host string) (HostMatch, error) {
	c := newCert(leaf)
	return c.matchHost(host)
}

func (c *cert) matchHost(host string) (HostMatch, error) {
	if host == "" {
		return NoMatch, &NameError{Problem: "host name must be specified for a verified SSL connection"}
	}
	hostIsIP := isIPAddress(host)
	hostTag := tagDNS
	if hostIsIP {
		hostTag = tagIP
	}
	checkCN := true
	e := &NameError{Host: host}
	examined := func(name string) {
		if e.First == "" {
			e.First = name
		} else {
			e.Others++
		}
	}
	for _, san := range c.sans {
		if san.tag == hostTag {
			checkCN = false
		}
		switch san.tag {
		case tagDNS:
			name := string(san.value)
			if strings.IndexByte(name, 0) >= 0 {
				return NoMatch, &NameError{Host: host, Problem: "SSL certificate's name contains embedded null"}
			}
			examined(name)
			if nameMatches(name, host) {
				if hostIsIP {
					return MatchIPAsDNS, nil
				}
				return MatchSAN, nil
			}
		case tagIP:
			if len(san.value) != net.IPv4len && len(san.value) != net.IPv6len {
				return NoMatch, &NameError{Host: host, Problem: "certificate contains IP address with invalid length " + strconv.Itoa(len(san.value))}
			}
			examined(ipName(san.value))
			if ipMatches(san.value, host) {
				return MatchSAN, nil
			}
		}
	}
	if checkCN {
		if cn, ok := firstCommonName(c.x); ok {
			if strings.IndexByte(cn, 0) >= 0 {
				return NoMatch, &NameError{Host: host, Problem: "SSL certificate's name contains embedded null"}
			}
			examined(cn)
			if nameMatches(cn, host) {
				return MatchCommonName, nil
			}
		}
	}
	return NoMatch, e
}

// nameMatches is libpq's comparison of a certificate name with the host:
// equal ignoring ASCII case, or a wildcard_certificate_match.
func nameMatches(name, host string) bool {
	return asciiEqualFold(name, host) || wildcardMatches(name, host)
}

// wildcardMatches is fe-secure-common.c's wildcard_certificate_match: the
// pattern starts with "*.", the host ends with the rest of it (ignoring
// case), and the part the "*" stands for holds no dot and is not empty.
func wildcardMatches(pattern, host string) bool {
	if len(pattern) < 3 || pattern[0] != '*' || pattern[1] != '.' || len(pattern) > len(host) {
		return false
	}
	start := len(host) - len(pattern) + 1
	if !asciiEqualFold(pattern[1:], host[start:]) {
		return false
	}
	dot := strings.IndexByte(host, '.')
	return dot < 0 || dot >= len(host)-len(pattern)
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ipMatches is pq_verify_peer_name_matches_certificate_ip: a 4-byte SAN
// against the host read by inet_aton, a 16-byte one by inet_pton.
func ipMatches(san []byte, host string) bool {
	if len(san) == net.IPv4len {
		v4, ok := inetAton(host)
		return ok && net.IP(san).Equal(v4)
	}
	v6 := net.ParseIP(host)
	return v6 != nil && strings.Contains(host, ":") && bytes.Equal(san, v6.To16())
}

// ipName is how libpq names an IP SAN in its message, pg_inet_net_ntop
// (src/port/inet_net_ntop.c): IPv6 in the RFC 5952 form net.IP prints,
// except that an IPv4-compatible (::a.b.c.d) or IPv4-mapped
// (::ffff:a.b.c.d) address ends in dotted form.
func ipName(b []byte) string {
	if len(b) == net.IPv6len && allZero(b[:10]) {
		switch {
		case b[10] == 0xff && b[11] == 0xff:
			return "::ffff:" + net.IP(b[12:]).String()
		case b[10] == 0 && b[11] == 0 && (b[12] != 0 || b[13] != 0):
			return "::" + net.IP(b[12:]).String()
		}
	}
	return net.IP(b).String()
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// isIPAddress is libpq's is_ip_address: inet_aton or inet_pton(AF_INET6).
func isIPAddress(host string) bool {
	if _, ok := inetAton(host); ok {
		return true
	}
	return strings.Contains(host, ":") && net.ParseIP(host) != nil
}

// inetAton reads an IPv4 address as glibc's inet_aton does: one to four
// parts, each decimal, octal (leading 0) or hexadecimal (0x), the last
// filling the remaining bytes; white space ends the address.
func inetAton(s string) (net.IP, bool) {
	if i := strings.IndexAny(s, " \t\n\v\f\r"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if s == "" || len(parts) > 4 {
		return nil, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := atonPart(p)
		if !ok {
			return nil, false
		}
		vals[i] = v
	}
	var addr uint64
	last := len(vals) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 0xff {
			return nil, false
		}
		addr |= vals[i] << (24 - 8*i)
	}
	if vals[last] > (uint64(1)<<(32-8*last))-1 {
		return nil, false
	}
	addr |= vals[last]
	return net.IPv4(byte(addr>>24), byte(addr>>16), byte(addr>>8), byte(addr)), true
}

func atonPart(p string) (uint64, bool) {
	base := 10
	switch {
	case (strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X")) && len(p) > 2:
		// strtoul reads a bare "0x" as 0 followed by the trailing "x",
		// which inet_aton refuses.
		base, p = 16, p[2:]
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	if p == "" {
		return 0, false
	}
	v, err := strconv.ParseUint(p, base, 32)
	return v, err == nil
}
