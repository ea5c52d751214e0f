package libpq

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net/netip"
	"strings"
)

// libpqHostOracle is a line-by-line port of libpq's host check, written
// apart from host.go so that the differential test has a second opinion:
// pq_verify_peer_name_matches_certificate (fe-secure-common.c) around
// pgtls_verify_peer_name_matches_certificate_guts (fe-secure-openssl.c).
// It returns whether libpq accepts the host, and else its message.
func libpqHostOracle(leaf *x509.Certificate, host string) (bool, string) {
	if host == "" {
		return false, "host name must be specified for a verified SSL connection"
	}
	namesExamined, firstName := 0, ""
	hasFirst := false
	hostType := 2 // GEN_DNS
	if _, ok := oracleInetAton(host); ok || oracleInetPton6(host) {
		hostType = 7 // GEN_IPADD
	}
	checkCN := true
	rc := 0
	store := func(name string) {
		if !hasFirst {
			firstName, hasFirst = name, true
		}
	}
	for _, san := range oracleSANs(leaf) {
		if san.tag == hostType {
			checkCN = false
		}
		var msg string
		switch san.tag {
		case 2:
			namesExamined++
			rc, msg = oracleMatchName(san.value, host, store)
		case 7:
			namesExamined++
			rc, msg = oracleMatchIP(san.value, host, store)
		}
		if rc < 0 {
			return false, msg
		}
		if rc != 0 {
			checkCN = false
			break
		}
	}
	if checkCN {
		// X509_NAME_get_index_by_NID(subject, NID_commonName, -1): the first.
		for _, atv := range leaf.Subject.Names {
			if atv.Type.Equal(oidCommonName) {
				s, _ := atv.Value.(string)
				namesExamined++
				var msg string
				rc, msg = oracleMatchName([]byte(s), host, store)
				if rc < 0 {
					return false, msg
				}
				break
			}
		}
	}
	if rc == 1 {
		return true, ""
	}
	switch {
	case namesExamined > 2:
		return false, fmt.Sprintf("server certificate for \"%s\" (and %d other names) does not match host name \"%s\"", firstName, namesExamined-1, host)
	case namesExamined == 2:
		return false, fmt.Sprintf("server certificate for \"%s\" (and %d other name) does not match host name \"%s\"", firstName, namesExamined-1, host)
	case namesExamined == 1:
		return false, fmt.Sprintf("server certificate for \"%s\" does not match host name \"%s\"", firstName, host)
	}
	return false, "could not get server's host name from server certificate"
}

type oracleSAN struct {
	tag   int
	value []byte
}

// oracleSANs reads the subjectAltName extension in order.
func oracleSANs(x *x509.Certificate) []oracleSAN {
	var out []oracleSAN
	for _, e := range x.Extensions {
		if !e.Id.Equal(oidSubjectAltName) {
			continue
		}
		var names []asn1.RawValue
		if _, err := asn1.Unmarshal(e.Value, &names); err != nil {
			return nil
		}
		for _, n := range names {
			out = append(out, oracleSAN{tag: n.Tag, value: n.Bytes})
		}
	}
	return out
}

// oracleMatchName is pq_verify_peer_name_matches_certificate_name.
func oracleMatchName(data []byte, host string, store func(string)) (int, string) {
	name := string(data)
	if strings.IndexByte(name, 0) >= 0 {
		return -1, "SSL certificate's name contains embedded null"
	}
	store(name)
	if strings.EqualFold(name, host) && isASCII(name) || oracleWildcard(name, host) {
		return 1, ""
	}
	return 0, ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// oracleWildcard is wildcard_certificate_match, with C's pointer arithmetic.
func oracleWildcard(pattern, str string) bool {
	lenpat, lenstr := len(pattern), len(str)
	if lenpat < 3 || pattern[0] != '*' || pattern[1] != '.' {
		return false
	}
	if lenpat > lenstr {
		return false
	}
	if !strings.EqualFold(pattern[1:], str[lenstr-lenpat+1:]) {
		return false
	}
	dot := strings.IndexByte(str, '.') // strchr; never -1 here
	return !(dot < lenstr-lenpat)
}

// oracleMatchIP is pq_verify_peer_name_matches_certificate_ip.
func oracleMatchIP(data []byte, host string, store func(string)) (int, string) {
	match := 0
	switch len(data) {
	case 4:
		if a, ok := oracleInetAton(host); ok && a == [4]byte(data) {
			match = 1
		}
	case 16:
		if a, err := netip.ParseAddr(host); err == nil && oracleInetPton6(host) && a.As16() == [16]byte(data) {
			match = 1
		}
	default:
		return -1, fmt.Sprintf("certificate contains IP address with invalid length %d", len(data))
	}
	store(oracleNtop(data))
	return match, ""
}

// oracleInetAton is glibc's inet_aton: parts read by strtoul(..., 0),
// each starting with a digit, separated by single dots; white space may
// end the string.
func oracleInetAton(s string) ([4]byte, bool) {
	var parts []uint64
	i := 0
	for {
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return [4]byte{}, false
		}
		base, j := 10, i
		if s[j] == '0' {
			base, j = 8, j+1
			if j+1 < len(s) && (s[j] == 'x' || s[j] == 'X') && isHex(s[j+1]) {
				base, j = 16, j+1
			}
		}
		var v uint64
		for ; j < len(s) && digitVal(s[j]) < base; j++ {
			v = v*uint64(base) + uint64(digitVal(s[j]))
			if v > 0xffffffff {
				return [4]byte{}, false
			}
		}
		parts = append(parts, v)
		i = j
		if i < len(s) && s[i] == '.' {
			if len(parts) > 3 || v > 0xff {
				return [4]byte{}, false
			}
			i++
			continue
		}
		break
	}
	if i < len(s) && !strings.ContainsRune(" \t\n\v\f\r", rune(s[i])) {
		return [4]byte{}, false
	}
	last := parts[len(parts)-1]
	if last > []uint64{0xffffffff, 0xffffff, 0xffff, 0xff}[len(parts)-1] {
		return [4]byte{}, false
	}
	var addr uint64
	for k, p := range parts[:len(parts)-1] {
		addr |= p << (24 - 8*k)
	}
	addr |= last
	return [4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}, true
}

func isHex(c byte) bool { return digitVal(c) < 16 }

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// oracleInetPton6 is inet_pton(AF_INET6): an IPv6 address without a zone.
func oracleInetPton6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && a.Zone() == "" && strings.Contains(s, ":")
}

// oracleNtop is pg_inet_net_ntop for 4 or 16 bytes with a full mask, a
// port of inet_net_ntop_ipv4 and inet_net_ntop_ipv6 (src/port).
func oracleNtop(src []byte) string {
	if len(src) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d", src[0], src[1], src[2], src[3])
	}
	var words [8]uint
	for i := 0; i < 16; i++ {
		words[i/2] |= uint(src[i]) << ((1 - i%2) * 8)
	}
	type run struct{ base, len int }
	best, cur := run{-1, 0}, run{-1, 0}
	for i := 0; i < 8; i++ {
		if words[i] == 0 {
			if cur.base == -1 {
				cur = run{i, 1}
			} else {
				cur.len++
			}
		} else if cur.base != -1 {
			if best.base == -1 || cur.len > best.len {
				best = cur
			}
			cur.base = -1
		}
	}
	if cur.base != -1 && (best.base == -1 || cur.len > best.len) {
		best = cur
	}
	if best.base != -1 && best.len < 2 {
		best.base = -1
	}
	var b strings.Builder
	for i := 0; i < 8; i++ {
		if best.base != -1 && i >= best.base && i < best.base+best.len {
			if i == best.base {
				b.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			b.WriteByte(':')
		}
		if i == 6 && best.base == 0 && (best.len == 6 || best.len == 7 && words[7] != 1 || best.len == 5 && words[5] == 0xffff) {
			fmt.Fprintf(&b, "%d.%d.%d.%d", src[12], src[13], src[14], src[15])
			return b.String()
		}
		fmt.Fprintf(&b, "%x", words[i])
	}
	if best.base != -1 && best.base+best.len == 8 {
		b.WriteByte(':')
	}
	return b.String()
}
