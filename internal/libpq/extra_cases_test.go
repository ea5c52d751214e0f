package libpq

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"net/url"
)

// extensionCases: unknown extensions, critical or not, at each level, and
// trust file certificates that only look like the issuer.
func extensionCases(g *gen, l *caseList) {
	unknown := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1}
	for _, pos := range []string{"leaf", "intermediate", "root"} {
		for _, critical := range []bool{false, true} {
			p := defaultPKI()
			s := map[string]*spec{"leaf": &p.leaf, "intermediate": &p.inter, "root": &p.root}[pos]
			s.extra = []pkix.Extension{{Id: unknown, Critical: critical, Value: []byte{5, 0}}}
			b := g.build(p)
			desc := fmt.Sprintf("unknown extension (critical %v) on %s", critical, pos)
			l.addPKI("extensions", desc, b, "db.example.com")
			l.add("extensions", desc+", root served", certs(b.leaf, b.inter, b.root), certs(b.root), "db.example.com", DefaultSecurityLevel)
		}
	}
	b := g.build(defaultPKI())
	impostor := g.must(caSpec("Test Root CA", 5), nil) // same subject, other key
	noSKID := caSpec("Test Root CA", 0)
	noSKID.skid = []byte{1, 2, 3}
	otherSKID := g.must(noSKID, nil) // same subject and key, other key identifier
	for _, tr := range []struct {
		name  string
		nodes []*node
	}{
		{"root impostor", []*node{impostor}},
		{"root impostor and root", []*node{impostor, b.root}},
		{"root with another key id", []*node{otherSKID}},
	} {
		for _, served := range [][]*node{{b.leaf, b.inter}, {b.leaf, b.inter, b.root}} {
			l.add("extensions", fmt.Sprintf("trust %s, served %d certs", tr.name, len(served)),
				certs(served...), certs(tr.nodes...), "db.example.com", DefaultSecurityLevel)
		}
	}
}

// otherNameCases: email and URI names against email, URI and DNS
// constraints.
func otherNameCases(g *gen, l *caseList) {
	u := func(s string) *url.URL {
		v, err := url.Parse(s)
		if err != nil {
			g.tb.Fatalf("parse %q: %v", s, err)
		}
		return v
	}
	type names struct {
		name   string
		emails []string
		uris   []string
		subj   string
		utf8   bool
	}
	leaves := []names{
		{name: "email a@example.com", emails: []string{"a@example.com"}},
		{name: "email bad@example.com", emails: []string{"bad@example.com"}},
		{name: "email a@other.org", emails: []string{"a@other.org"}},
		{name: "email a@sub.example.com", emails: []string{"a@sub.example.com"}},
		{name: "URI https://db.example.com:5432/x", uris: []string{"https://db.example.com:5432/x"}},
		{name: "URI postgresql://db.other.org/x", uris: []string{"postgresql://db.other.org/x"}},
		{name: "subject email a@other.org", subj: "a@other.org"},
		{name: "subject email a@example.com", subj: "a@example.com"},
		{name: "subject email bad@example.com", subj: "bad@example.com"},
		{name: "subject email a@example.com as UTF8String", subj: "a@example.com", utf8: true},
	}
	constraints := []struct {
		name                          string
		permEmail, exclEmail, permURI []string
		permDNS                       []string
	}{
		{name: "permit email example.com", permEmail: []string{"example.com"}},
		{name: "permit email .example.com", permEmail: []string{".example.com"}},
		{name: "exclude email bad@example.com", exclEmail: []string{"bad@example.com"}},
		{name: "permit URI .example.com", permURI: []string{".example.com"}},
		{name: "permit URI db.example.com", permURI: []string{"db.example.com"}},
		{name: "permit DNS example.com", permDNS: []string{"example.com"}},
	}
	for _, c := range constraints {
		for _, lf := range leaves {
			p := defaultPKI()
			p.inter.permEmail, p.inter.exclEmail, p.inter.permURI, p.inter.permDNS = c.permEmail, c.exclEmail, c.permURI, c.permDNS
			p.leaf.emails, p.leaf.subjectEmail, p.leaf.subjectEmailUTF8 = lf.emails, lf.subj, lf.utf8
			for _, s := range lf.uris {
				p.leaf.uris = append(p.leaf.uris, u(s))
			}
			b := g.build(p)
			if b == nil {
				continue
			}
			l.addPKI("othernames", fmt.Sprintf("%s on intermediate, leaf %s", c.name, lf.name), b, "db.example.com")
		}
	}
}
