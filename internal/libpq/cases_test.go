package libpq

import (
	"crypto/x509"
	"fmt"
	"net"
	"time"
)

const day = 24 * time.Hour

// anchorCases: which certificates the trust file holds against which the
// server sends, for an RSA and an ECDSA hierarchy, and self-signed leaves.
func anchorCases(g *gen, l *caseList) {
	for _, k := range []keyKind{kP256, kRSA2048} {
		p := defaultPKI()
		p.root.key, p.inter.key, p.leaf.key = k, k, k
		b := g.build(p)
		crossRoot := g.must(func() spec { s := caSpec("Cross Root CA", 3); s.key = k; return s }(), nil)
		cross := g.must(p.inter, crossRoot) // same subject and key as b.inter
		other := g.must(func() spec { s := caSpec("Other CA", 5); s.key = k; return s }(), nil)
		oldRoot := p.root
		oldRoot.notBefore, oldRoot.notAfter = diffNow.Add(-800*day), diffNow.Add(-day)
		expiredRoot := g.must(oldRoot, nil)
		oldInter := p.inter
		oldInter.notBefore, oldInter.notAfter = diffNow.Add(-800*day), diffNow.Add(-day)
		expiredInter := g.must(oldInter, b.root)
		trusts := []struct {
			name  string
			nodes []*node
		}{
			{"root", []*node{b.root}},
			{"intermediate", []*node{b.inter}},
			{"cross-signed intermediate", []*node{cross}},
			{"cross root", []*node{crossRoot}},
			{"unrelated CA", []*node{other}},
			{"unrelated CA and root", []*node{other, b.root}},
			{"intermediate and root", []*node{b.inter, b.root}},
			{"expired root copy and root", []*node{expiredRoot, b.root}},
			{"expired root copy", []*node{expiredRoot}},
		}
		serveds := []struct {
			name  string
			nodes []*node
		}{
			{"leaf", []*node{b.leaf}},
			{"leaf+intermediate", []*node{b.leaf, b.inter}},
			{"leaf+intermediate+root", []*node{b.leaf, b.inter, b.root}},
			{"leaf+root+intermediate", []*node{b.leaf, b.root, b.inter}},
			{"leaf+cross", []*node{b.leaf, cross}},
			{"leaf+cross+cross root", []*node{b.leaf, cross, crossRoot}},
			{"leaf+intermediate+cross", []*node{b.leaf, b.inter, cross}},
			{"leaf+expired intermediate", []*node{b.leaf, expiredInter}},
			{"leaf+expired intermediate+intermediate", []*node{b.leaf, expiredInter, b.inter}},
			{"leaf+unrelated", []*node{b.leaf, other}},
		}
		for _, tr := range trusts {
			for _, sv := range serveds {
				l.add("anchor", fmt.Sprintf("%v: trust %s, served %s", k, tr.name, sv.name),
					certs(sv.nodes...), certs(tr.nodes...), "db.example.com", DefaultSecurityLevel)
			}
		}
	}
	selfSignedCases(g, l)
}

// selfSignedCases: a self-signed server certificate, trusted or not.
func selfSignedCases(g *gen, l *caseList) {
	b := g.build(defaultPKI())
	bcs := []struct {
		name   string
		bc, ca bool
	}{{"no basicConstraints", false, false}, {"CA:FALSE", true, false}, {"CA:TRUE", true, true}}
	kus := []x509.KeyUsage{0, x509.KeyUsageDigitalSignature, x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	for _, bc := range bcs {
		for _, ku := range kus {
			s := leafSpec()
			s.slot, s.bc, s.ca, s.ku = 6, bc.bc, bc.ca, ku
			ss := g.must(s, nil)
			trusts := [][]*node{{ss}, {b.root}, {ss, b.root}}
			for ti, tr := range trusts {
				for _, served := range [][]*node{{ss}, {ss, b.inter}} {
					l.add("self-signed", fmt.Sprintf("self-signed leaf %s KU %s, trust #%d, served %d certs", bc.name, kuString(ku), ti, len(served)),
						certs(served...), certs(tr...), "db.example.com", DefaultSecurityLevel)
				}
			}
		}
	}
}

// usageCases: key usage, extended key usage, basic constraints and path
// lengths on the leaf and on the CAs.
func usageCases(g *gen, l *caseList) {
	leafKUs := []x509.KeyUsage{x509.KeyUsageDigitalSignature, x509.KeyUsageKeyEncipherment, x509.KeyUsageCertSign, 0, x509.KeyUsageKeyAgreement, x509.KeyUsageCRLSign}
	ekus := []struct {
		name string
		eku  []x509.ExtKeyUsage
	}{
		{"serverAuth", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{"clientAuth", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"any", []x509.ExtKeyUsage{x509.ExtKeyUsageAny}},
		{"none", nil},
		{"clientAuth+serverAuth", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}},
	}
	bcs := []struct {
		name   string
		bc, ca bool
	}{{"no BC", false, false}, {"CA:FALSE", true, false}, {"CA:TRUE", true, true}}
	for _, ku := range leafKUs {
		for _, e := range ekus {
			for _, bc := range bcs {
				p := defaultPKI()
				p.leaf.ku, p.leaf.eku, p.leaf.bc, p.leaf.ca = ku, e.eku, bc.bc, bc.ca
				l.addPKI("usage-leaf", fmt.Sprintf("leaf KU %s EKU %s %s", kuString(ku), e.name, bc.name), g.build(p), "db.example.com")
			}
		}
	}
	caKUs := []x509.KeyUsage{x509.KeyUsageCertSign | x509.KeyUsageCRLSign, x509.KeyUsageCRLSign, x509.KeyUsageDigitalSignature, 0}
	for _, pos := range []string{"root", "intermediate"} {
		for _, ku := range caKUs {
			for _, e := range ekus[:4] {
				for _, bc := range bcs {
					p := defaultPKI()
					s := &p.inter
					if pos == "root" {
						s = &p.root
					}
					s.ku, s.eku, s.bc, s.ca = ku, e.eku, bc.bc, bc.ca
					b := g.build(p)
					desc := fmt.Sprintf("%s KU %s EKU %s %s", pos, kuString(ku), e.name, bc.name)
					l.addPKI("usage-ca", desc, b, "db.example.com")
					l.add("usage-ca", desc+", root served", certs(b.leaf, b.inter, b.root), certs(b.root), "db.example.com", DefaultSecurityLevel)
				}
			}
		}
	}
	pathLenCases(g, l)
}

// pathLenCases: root -> inter1 -> inter2 -> leaf with path length
// constraints, and pathlen 0 on a single intermediate.
func pathLenCases(g *gen, l *caseList) {
	for _, rootLen := range []int{-1, 0, 1, 2} {
		for _, i1Len := range []int{-1, 0, 1} {
			for _, i2Len := range []int{-1, 0} {
				root := caSpec("Test Root CA", 0)
				root.pathLen = rootLen
				i1 := caSpec("Test Intermediate CA", 1)
				i1.pathLen = i1Len
				i2 := caSpec("Test Issuing CA", 4)
				i2.pathLen = i2Len
				r := g.must(root, nil)
				n1 := g.must(i1, r)
				n2 := g.must(i2, n1)
				leaf := g.must(leafSpec(), n2)
				l.add("pathlen", fmt.Sprintf("pathlen root %d inter1 %d inter2 %d", rootLen, i1Len, i2Len),
					certs(leaf, n2, n1), certs(r), "db.example.com", DefaultSecurityLevel)
			}
		}
	}
	// A CA certificate as the server certificate.
	p := defaultPKI()
	p.leaf.bc, p.leaf.ca, p.leaf.ku = true, true, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature
	l.addPKI("pathlen", "CA certificate as server certificate", g.build(p), "db.example.com")
	p.inter.pathLen = 0
	l.addPKI("pathlen", "CA certificate as server certificate under pathlen 0", g.build(p), "db.example.com")
}

// signatureFailureCases: the leaf names the intermediate (subject and key
// identifier) but was signed by another key.
func signatureFailureCases(g *gen, l *caseList) {
	b := g.build(defaultPKI())
	fake := caSpec("Test Intermediate CA", 4)
	fake.skid = b.inter.x.SubjectKeyId
	f := g.must(fake, b.root)
	leaf := g.must(leafSpec(), f)
	l.add("validity", "leaf signed by a key other than its issuer's", certs(leaf, b.inter), certs(b.root), "db.example.com", DefaultSecurityLevel)
	l.add("validity", "intermediate impostor served first", certs(leaf, b.inter, f), certs(b.root), "db.example.com", DefaultSecurityLevel)
}

// validityCases: expired and not yet valid certificates at each level.
func validityCases(g *gen, l *caseList) {
	expired := [2]time.Time{diffNow.Add(-400 * day), diffNow.Add(-time.Hour)}
	future := [2]time.Time{diffNow.Add(time.Hour), diffNow.Add(400 * day)}
	valid := [2]time.Time{}
	states := []struct {
		name string
		t    [2]time.Time
	}{{"valid", valid}, {"expired", expired}, {"not yet valid", future}}
	for _, r := range states {
		for _, i := range states {
			for _, lf := range states {
				p := defaultPKI()
				p.root.notBefore, p.root.notAfter = r.t[0], r.t[1]
				p.inter.notBefore, p.inter.notAfter = i.t[0], i.t[1]
				p.leaf.notBefore, p.leaf.notAfter = lf.t[0], lf.t[1]
				b := g.build(p)
				desc := fmt.Sprintf("root %s, intermediate %s, leaf %s", r.name, i.name, lf.name)
				l.addPKI("validity", desc, b, "db.example.com")
				l.add("validity", desc+", root served", certs(b.leaf, b.inter, b.root), certs(b.root), "db.example.com", DefaultSecurityLevel)
			}
		}
	}
	signatureFailureCases(g, l)
}

// keyCases: every key type at every level, SHA-1 at one level, at
// security level 2, and at level 1 where RSA-1024 or SHA-1 is involved.
func keyCases(g *gen, l *caseList) {
	kinds := []keyKind{kRSA1024, kRSA2048, kP256, kP384, kEd25519}
	for _, rk := range kinds {
		for _, ik := range kinds {
			for _, lk := range kinds {
				for _, sha1At := range []string{"", "leaf", "intermediate", "root"} {
					p := defaultPKI()
					p.root.key, p.inter.key, p.leaf.key = rk, ik, lk
					switch sha1At {
					case "leaf":
						p.leaf.sha1 = true
					case "intermediate":
						p.inter.sha1 = true
					case "root":
						p.root.sha1 = true
					}
					if sha1At == "leaf" && ik == kEd25519 || sha1At != "" && sha1At != "leaf" && rk == kEd25519 {
						continue // an Ed25519 signer has no SHA-1 algorithm
					}
					b := g.build(p)
					desc := fmt.Sprintf("root %v, intermediate %v, leaf %v", rk, ik, lk)
					if sha1At != "" {
						desc += ", SHA-1 on " + sha1At
					}
					levels := []int{2}
					if sha1At != "" || rk == kRSA1024 || ik == kRSA1024 || lk == kRSA1024 {
						levels = []int{1, 2} // level 1 differs from 2 only here
					}
					for _, level := range levels {
						l.add("keys", fmt.Sprintf("%s, level %d", desc, level), certs(b.leaf, b.inter), certs(b.root), "db.example.com", level)
					}
				}
			}
		}
	}
}

// ipNet is the subtree addr/bits.
func ipNet(addr string, bits int) *net.IPNet {
	ip := net.ParseIP(addr)
	if v4 := ip.To4(); v4 != nil {
		return &net.IPNet{IP: v4, Mask: net.CIDRMask(bits, 32)}
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, 128)}
}
