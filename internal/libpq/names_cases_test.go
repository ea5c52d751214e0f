package libpq

import (
	"fmt"
	"net"
	"strings"
)

// leafNames are the names of a generated leaf: DNS SANs, IP SANs, and the
// common name ("" for none).
type leafNames struct {
	name string
	cn   string
	dns  []string
	ips  []net.IP
}

func ips(list ...string) []net.IP {
	out := make([]net.IP, len(list))
	for i, s := range list {
		out[i] = net.ParseIP(s)
		if v4 := out[i].To4(); v4 != nil {
			out[i] = v4
		}
	}
	return out
}

// constraintLeaves are leaves inside and outside the constraints of
// ncCases.
var constraintLeaves = []leafNames{
	{"DNS db.example.com", "db.example.com", []string{"db.example.com"}, nil},
	{"DNS example.com", "example.com", []string{"example.com"}, nil},
	{"DNS dbexample.com", "dbexample.com", []string{"dbexample.com"}, nil},
	{"DNS x.example.com", "x.example.com", []string{"x.example.com"}, nil},
	{"DNS DB.EXAMPLE.COM", "DB.EXAMPLE.COM", []string{"DB.EXAMPLE.COM"}, nil},
	{"DNS db.other.org", "db.other.org", []string{"db.other.org"}, nil},
	{"DNS *.example.com", "*.example.com", []string{"*.example.com"}, nil},
	{"DNS 10.0.0.5 as text", "10.0.0.5", []string{"10.0.0.5"}, nil},
	{"DNS db.example.com and db.other.org", "db.example.com", []string{"db.example.com", "db.other.org"}, nil},
	{"IP 10.0.0.5", "10.0.0.5", nil, ips("10.0.0.5")},
	{"IP 10.1.0.5", "10.1.0.5", nil, ips("10.1.0.5")},
	{"IP 192.168.1.1", "192.168.1.1", nil, ips("192.168.1.1")},
	{"IP fd00::5", "fd00::5", nil, ips("fd00::5")},
	{"DNS db.example.com, IP 192.168.1.1", "db.example.com", []string{"db.example.com"}, ips("192.168.1.1")},
	{"CN db.example.com only", "db.example.com", nil, nil},
	{"CN db.other.org only", "db.other.org", nil, nil},
	{"CN localhost only", "localhost", nil, nil},
	{"CN db.other.org, IP 10.0.0.5", "db.other.org", nil, ips("10.0.0.5")},
	{"CN db.other.org, DNS db.example.com", "db.other.org", []string{"db.example.com"}, nil},
	{"CN bad-.example.com only", "bad-.example.com", nil, nil},
}

// ncCases: name constraints on the root or the intermediate against leaves
// inside and outside them.
func ncCases(g *gen, l *caseList) {
	type ncs struct {
		name           string
		permDNS, exDNS []string
		permIP, exIP   []*net.IPNet
	}
	constraints := []ncs{
		{name: "permit example.com", permDNS: []string{"example.com"}},
		{name: "permit .example.com", permDNS: []string{".example.com"}},
		{name: "permit EXAMPLE.COM", permDNS: []string{"EXAMPLE.COM"}},
		{name: "exclude db.example.com", exDNS: []string{"db.example.com"}},
		{name: "permit example.com, exclude x.example.com", permDNS: []string{"example.com"}, exDNS: []string{"x.example.com"}},
		{name: "permit other.org", permDNS: []string{"other.org"}},
		{name: "permit 10.0.0.0/8", permIP: []*net.IPNet{ipNet("10.0.0.0", 8)}},
		{name: "exclude 10.0.0.0/24", exIP: []*net.IPNet{ipNet("10.0.0.0", 24)}},
		{name: "permit fd00::/8", permIP: []*net.IPNet{ipNet("fd00::", 8)}},
		{name: "permit example.com and 10.0.0.0/8", permDNS: []string{"example.com"}, permIP: []*net.IPNet{ipNet("10.0.0.0", 8)}},
		{name: "permit example.com, exclude 192.168.0.0/16", permDNS: []string{"example.com"}, exIP: []*net.IPNet{ipNet("192.168.0.0", 16)}},
	}
	for _, pos := range []string{"root", "intermediate", "both"} {
		for _, c := range constraints {
			for _, lf := range constraintLeaves {
				p := defaultPKI()
				targets := []*spec{&p.inter}
				switch pos {
				case "root":
					targets = []*spec{&p.root}
				case "both":
					targets = []*spec{&p.root, &p.inter}
				}
				for _, s := range targets {
					s.permDNS, s.exclDNS, s.permIP, s.exclIP = c.permDNS, c.exDNS, c.permIP, c.exIP
				}
				if pos == "both" {
					p.root.permDNS = []string{"example.com", "other.org", "10.0.0.5"}
				}
				p.leaf.cn, p.leaf.dns, p.leaf.ips = lf.cn, lf.dns, lf.ips
				b := g.build(p)
				if b == nil {
					continue
				}
				l.addPKI("nameconstraints", fmt.Sprintf("%s on %s, leaf %s", c.name, pos, lf.name), b, hostFor(lf))
			}
		}
	}
}

// hostFor is a host the leaf's names match, so that the case judges the
// chain.
func hostFor(lf leafNames) string {
	if len(lf.dns) > 0 && !strings.HasPrefix(lf.dns[0], "*") {
		return lf.dns[0]
	}
	if len(lf.ips) > 0 {
		return lf.ips[0].String()
	}
	if strings.HasPrefix(lf.cn, "*.") {
		return "a" + lf.cn[1:]
	}
	if len(lf.dns) > 0 {
		return "a" + lf.dns[0][1:]
	}
	return lf.cn
}

// hostLeaves are the leaves of hostCases. An IPv4-mapped IPv6 address as
// a 16-byte IP SAN is left out: crypto/x509 encodes it in 4 bytes.
var hostLeaves = []leafNames{
	{"DNS db.example.com", "db.example.com", []string{"db.example.com"}, nil},
	{"DNS *.example.com", "*.example.com", []string{"*.example.com"}, nil},
	{"DNS *.example.com and example.com", "example.com", []string{"*.example.com", "example.com"}, nil},
	{"DNS f*.example.com", "f*.example.com", []string{"f*.example.com"}, nil},
	{"DNS *.*.example.com", "x", []string{"*.*.example.com"}, nil},
	{"DNS 10.0.0.5 as text", "10.0.0.5", []string{"10.0.0.5"}, nil},
	{"IP 10.0.0.5", "10.0.0.5", nil, ips("10.0.0.5")},
	{"IP ::1", "::1", nil, ips("::1")},
	{"IP 127.0.0.1 and ::1", "localhost", nil, ips("127.0.0.1", "::1")},
	{"IP 10.0.0.5, DNS db.example.com", "db.example.com", []string{"db.example.com"}, ips("10.0.0.5")},
	{"CN db.example.com only", "db.example.com", nil, nil},
	{"CN 10.0.0.5 only", "10.0.0.5", nil, nil},
	{"CN *.example.com only", "*.example.com", nil, nil},
	{"CN db.example.com, DNS other.example.com", "db.example.com", []string{"other.example.com"}, nil},
	{"CN 10.0.0.5, DNS db.example.com", "10.0.0.5", []string{"db.example.com"}, nil},
	{"CN 10.0.0.5, IP 10.0.0.6", "10.0.0.5", nil, ips("10.0.0.6")},
	{"CN db.example.com, IP 10.0.0.6", "db.example.com", nil, ips("10.0.0.6")},
	{"DNS DB.Example.COM", "x", []string{"DB.Example.COM"}, nil},
	{"no names", "", nil, nil},
	{"DNS 127.0.0.1 and localhost", "x", []string{"127.0.0.1", "localhost"}, nil},
	{"IP ::10.0.0.5 (IPv4-compatible)", "x", nil, ips("::10.0.0.5")},
	{"IP fd00::5 and 10.0.0.5", "x", nil, ips("fd00::5", "10.0.0.5")},
}

// hosts are the hosts of hostCases.
var hosts = []string{
	"db.example.com", "DB.EXAMPLE.COM", "a.example.com", "a.b.example.com", "example.com",
	".example.com", "other.example.com", "fa.example.com", "10.0.0.5", "10.0.0.6", "127.0.0.1",
	"127.1", "0x7f.0.0.1", "::1", "0:0:0:0:0:0:0:1", "::ffff:10.0.0.5", "012.0.0.5", "10.5",
	"localhost", "x", "0x.0.0.1", "0x7f.1", "::10.0.0.5", "1.2.3.4.5", "10.0.0.5 trailing", "fd00::5",
	"fd00:0::5", "::ffff:a00:5",
}

// hostCases: libpq's host rule on chains that verify.
func hostCases(g *gen, l *caseList) {
	for _, lf := range hostLeaves {
		p := defaultPKI()
		p.leaf.cn, p.leaf.dns, p.leaf.ips = lf.cn, lf.dns, lf.ips
		b := g.build(p)
		if b == nil {
			continue
		}
		for _, h := range hosts {
			l.addPKI("host", fmt.Sprintf("leaf %s, host %q", lf.name, h), b, h)
		}
	}
}
