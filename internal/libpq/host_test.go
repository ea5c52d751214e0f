package libpq

import "testing"

// TestMatchHost holds libpq's host rule to expectations read from its
// source: pq_verify_peer_name_matches_certificate (the messages),
// pq_verify_peer_name_matches_certificate_name (case-insensitive equality,
// then wildcard_certificate_match) and _ip (inet_aton for 4-byte SANs,
// inet_pton(AF_INET6) for 16-byte ones, the name printed by
// pg_inet_net_ntop) in fe-secure-common.c; and
// pgtls_verify_peer_name_matches_certificate_guts and is_ip_address in
// fe-secure-openssl.c (every DNS and IP SAN tried in order; the first
// common name only when no SAN of the host's kind exists).
func TestMatchHost(t *testing.T) {
	g := newGen(t)
	leaf := func(cn string, dns []string, ipList ...string) *node {
		s := leafSpec()
		s.cn, s.dns, s.ips = cn, dns, ips(ipList...)
		return g.must(s, nil)
	}
	dnsDB := leaf("db.example.com", []string{"db.example.com"})
	wild := leaf("x", []string{"*.example.com"})
	partial := leaf("x", []string{"f*.example.com"})
	double := leaf("x", []string{"*.*.example.com"})
	ip := leaf("x", nil, "10.0.0.5")
	loop := leaf("x", nil, "127.0.0.1", "::1")
	dnsIP := leaf("x", []string{"10.0.0.5"})
	cnOnly := leaf("db.example.com", nil)
	cnAndDNS := leaf("db.example.com", []string{"other.example.com"})
	cnIPAndDNS := leaf("10.0.0.5", []string{"db.example.com"})
	cnIPAndIP := leaf("10.0.0.5", nil, "10.0.0.6")
	three := leaf("db.example.com", []string{"a.example.com", "b.example.com"}, "10.0.0.1")
	cnAndIP := leaf("db.example.com", nil, "10.0.0.6")
	none := leaf("", nil)
	compat := leaf("", nil, "::10.0.0.5")

	msg := func(first, host string) string {
		return "server certificate for \"" + first + "\" does not match host name \"" + host + "\""
	}
	tests := []struct {
		name string
		leaf *node
		host string
		want HostMatch
		err  string
	}{
		{"exact, ignoring case", dnsDB, "DB.Example.COM", MatchSAN, ""},
		{"other name", dnsDB, "db2.example.com", NoMatch, msg("db.example.com", "db2.example.com")},
		{"wildcard stands for one label", wild, "a.example.com", MatchSAN, ""},
		{"wildcard ignores case", wild, "A.EXAMPLE.COM", MatchSAN, ""},
		{"wildcard not two labels", wild, "a.b.example.com", NoMatch, msg("*.example.com", "a.b.example.com")},
		{"wildcard not empty", wild, ".example.com", NoMatch, msg("*.example.com", ".example.com")},
		{"wildcard not the base name", wild, "example.com", NoMatch, msg("*.example.com", "example.com")},
		{"only a leading *. is a wildcard", partial, "fa.example.com", NoMatch, msg("f*.example.com", "fa.example.com")},
		{"second star is literal", double, "a.b.example.com", NoMatch, msg("*.*.example.com", "a.b.example.com")},
		{"second star matched literally", double, "a.*.example.com", MatchSAN, ""},
		{"IP host, IP SAN", ip, "10.0.0.5", MatchSAN, ""},
		{"inet_aton a.b.c", ip, "10.0.5", MatchSAN, ""},
		{"inet_aton octal", ip, "012.0.0.5", MatchSAN, ""},
		{"inet_aton hex", ip, "0xa.0.0.5", MatchSAN, ""},
		{"other IP", ip, "10.0.0.6", NoMatch, msg("10.0.0.5", "10.0.0.6")},
		{"inet_aton 127.1", loop, "127.1", MatchSAN, ""},
		{"inet_aton 0x7f.0.0.1", loop, "0x7f.0.0.1", MatchSAN, ""},
		{"inet_aton one number", loop, "2130706433", MatchSAN, ""},
		// A DNS host and no DNS SAN: both IP SANs and the CN are examined.
		{"bare 0x is no address", loop, "0x.0.0.1", NoMatch,
			"server certificate for \"127.0.0.1\" (and 2 other names) does not match host name \"0x.0.0.1\""},
		{"IPv6 long form", loop, "0:0:0:0:0:0:0:1", MatchSAN, ""},
		{"IPv6 with a zone is no address", loop, "::1%lo", NoMatch,
			"server certificate for \"127.0.0.1\" (and 2 other names) does not match host name \"::1%lo\""},
		{"IP host, DNS SAN holding it", dnsIP, "10.0.0.5", MatchIPAsDNS, ""},
		{"CN when no SAN", cnOnly, "db.example.com", MatchCommonName, ""},
		{"CN mismatch", cnOnly, "x.example.com", NoMatch, msg("db.example.com", "x.example.com")},
		{"no CN when a DNS SAN exists", cnAndDNS, "db.example.com", NoMatch, msg("other.example.com", "db.example.com")},
		{"IP host with only DNS SANs tries the CN", cnIPAndDNS, "10.0.0.5", MatchCommonName, ""},
		{"IP host with an IP SAN skips the CN", cnIPAndIP, "10.0.0.5", NoMatch, msg("10.0.0.6", "10.0.0.5")},
		{"DNS host with only IP SANs tries the CN", cnAndIP, "db.example.com", MatchCommonName, ""},
		{"names counted with the CN", cnAndIP, "x.example.com", NoMatch,
			"server certificate for \"10.0.0.6\" (and 1 other name) does not match host name \"x.example.com\""},
		{"first name and two others", three, "c.example.com", NoMatch,
			"server certificate for \"a.example.com\" (and 2 other names) does not match host name \"c.example.com\""},
		{"no names", none, "x", NoMatch, "could not get server's host name from server certificate"},
		{"no host", dnsDB, "", NoMatch, "host name must be specified for a verified SSL connection"},
		{"IPv4-compatible SAN printed dotted", compat, "x", NoMatch, msg("::10.0.0.5", "x")},
		{"IPv4-compatible SAN matched by inet_pton", compat, "::10.0.0.5", MatchSAN, ""},
	}
	for _, tt := range tests {
		got, err := MatchHost(tt.leaf.x, tt.host)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.err {
			t.Errorf("%s: MatchHost(%q) = %v, %q; want %v, %q", tt.name, tt.host, got, gotErr, tt.want, tt.err)
		}
		if ok, oracleMsg := libpqHostOracle(tt.leaf.x, tt.host); ok != (tt.want != NoMatch) || oracleMsg != tt.err {
			t.Errorf("%s: the oracle says %v, %q", tt.name, ok, oracleMsg)
		}
	}
}
