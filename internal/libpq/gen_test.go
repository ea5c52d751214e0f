package libpq

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"testing"
	"time"
)

// diffNow is the fixed moment of every differential case, so that runs are
// reproducible: `openssl verify -attime` gets the same instant.
var diffNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// keyKind is the key algorithm of a generated certificate.
type keyKind int

const (
	kP256 keyKind = iota
	kP384
	kEd25519
	kRSA1024
	kRSA2048
)

func (k keyKind) String() string {
	return [...]string{"P-256", "P-384", "Ed25519", "RSA-1024", "RSA-2048"}[k]
}

// keyring hands out keys by kind and slot, generating each once: RSA key
// generation is slow, and a certificate re-issued with the same slot keeps
// its key (and so its subject key identifier).
type keyring struct {
	keys map[[2]int]crypto.Signer
}

func (r *keyring) get(tb testing.TB, k keyKind, slot int) crypto.Signer {
	tb.Helper()
	id := [2]int{int(k), slot}
	if key, ok := r.keys[id]; ok {
		return key
	}
	var key crypto.Signer
	var err error
	switch k {
	case kP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case kP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case kEd25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case kRSA1024:
		key, err = rsa.GenerateKey(rand.Reader, 1024)
	case kRSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		tb.Fatalf("generate %v key: %v", k, err)
	}
	r.keys[id] = key
	return key
}

// spec describes one certificate to generate.
type spec struct {
	cn      string // "" leaves the common name out
	org     string
	key     keyKind
	slot    int
	bc      bool // basicConstraints present
	ca      bool // cA TRUE (with bc)
	pathLen int  // -1: none
	ku      x509.KeyUsage
	eku     []x509.ExtKeyUsage
	dns     []string
	ips     []net.IP
	permDNS []string
	exclDNS []string
	permIP  []*net.IPNet
	exclIP  []*net.IPNet
	sha1    bool // signed with SHA-1 (RSA and ECDSA issuers)
	notBefore,
	notAfter time.Time // zero: 30 days before, a year after diffNow
	skid []byte // forced subject key identifier
	// Rarer names and extensions.
	emails, permEmail, exclEmail, permURI []string
	uris                                  []*url.URL
	subjectEmail                          string
	subjectEmailUTF8                      bool // else IA5String
	extra                                 []pkix.Extension
}

// caSpec is a CA as most tools make one.
func caSpec(cn string, slot int) spec {
	return spec{cn: cn, org: "pgtls test", slot: slot, bc: true, ca: true, pathLen: -1,
		ku: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
}

// leafSpec is a server certificate for db.example.com.
func leafSpec() spec {
	return spec{cn: "db.example.com", slot: 2, pathLen: -1, ku: x509.KeyUsageDigitalSignature,
		eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, dns: []string{"db.example.com"}}
}

// node is a generated certificate with its key.
type node struct {
	x   *x509.Certificate
	key crypto.Signer
}

// gen issues certificates for the differential test.
type gen struct {
	tb     testing.TB
	keys   keyring
	serial int64
}

func newGen(tb testing.TB) *gen {
	return &gen{tb: tb, keys: keyring{keys: map[[2]int]crypto.Signer{}}}
}

// issue makes the certificate s, signed by parent or self-signed when
// parent is nil. It returns nil when crypto/x509 refuses the template.
func (g *gen) issue(s spec, parent *node) *node {
	g.tb.Helper()
	key := g.keys.get(g.tb, s.key, s.slot)
	g.serial++
	t := &x509.Certificate{
		SerialNumber:            big.NewInt(g.serial),
		Subject:                 pkix.Name{CommonName: s.cn},
		NotBefore:               diffNow.Add(-30 * 24 * time.Hour),
		NotAfter:                diffNow.Add(365 * 24 * time.Hour),
		BasicConstraintsValid:   s.bc,
		IsCA:                    s.bc && s.ca,
		MaxPathLen:              -1,
		KeyUsage:                s.ku,
		ExtKeyUsage:             s.eku,
		DNSNames:                s.dns,
		IPAddresses:             s.ips,
		PermittedDNSDomains:     s.permDNS,
		ExcludedDNSDomains:      s.exclDNS,
		PermittedIPRanges:       s.permIP,
		ExcludedIPRanges:        s.exclIP,
		SubjectKeyId:            s.skid,
		EmailAddresses:          s.emails,
		URIs:                    s.uris,
		PermittedEmailAddresses: s.permEmail,
		ExcludedEmailAddresses:  s.exclEmail,
		PermittedURIDomains:     s.permURI,
		ExtraExtensions:         s.extra,
	}
	if s.subjectEmail != "" {
		var v any = asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(s.subjectEmail)}
		if s.subjectEmailUTF8 {
			v = s.subjectEmail
		}
		t.Subject.ExtraNames = []pkix.AttributeTypeAndValue{{Type: oidEmailAddress, Value: v}}
	}
	if s.org != "" {
		t.Subject.Organization = []string{s.org}
	}
	if len(s.permDNS)+len(s.exclDNS)+len(s.permIP)+len(s.exclIP)+len(s.permEmail)+len(s.exclEmail)+len(s.permURI) > 0 {
		t.PermittedDNSDomainsCritical = true
	}
	if t.IsCA && s.pathLen >= 0 {
		t.MaxPathLen, t.MaxPathLenZero = s.pathLen, s.pathLen == 0
	}
	if !s.notBefore.IsZero() {
		t.NotBefore = s.notBefore
	}
	if !s.notAfter.IsZero() {
		t.NotAfter = s.notAfter
	}
	parentCert, signer := t, key
	if parent != nil {
		parentCert, signer = parent.x, parent.key
	}
	t.SignatureAlgorithm = sigAlg(signer, s.sha1)
	der, err := x509.CreateCertificate(rand.Reader, t, parentCert, key.Public(), signer)
	if err != nil {
		return nil
	}
	x, err := x509.ParseCertificate(der)
	if err != nil {
		g.tb.Fatalf("parse generated %q: %v", s.cn, err)
	}
	return &node{x: x, key: key}
}

// must is issue for templates that crypto/x509 always accepts.
func (g *gen) must(s spec, parent *node) *node {
	g.tb.Helper()
	n := g.issue(s, parent)
	if n == nil {
		g.tb.Fatalf("crypto/x509 refused the template %q", s.cn)
	}
	return n
}

// sigAlg is SHA-256 (SHA-384 for P-384) or SHA-1 for the signer's key.
func sigAlg(signer crypto.Signer, sha1 bool) x509.SignatureAlgorithm {
	switch k := signer.Public().(type) {
	case *rsa.PublicKey:
		if sha1 {
			return x509.SHA1WithRSA
		}
		return x509.SHA256WithRSA
	case *ecdsa.PublicKey:
		switch {
		case sha1:
			return x509.ECDSAWithSHA1
		case k.Curve == elliptic.P384():
			return x509.ECDSAWithSHA384
		}
		return x509.ECDSAWithSHA256
	}
	return x509.PureEd25519
}

// pki is the usual three-level hierarchy.
type pki struct {
	root, inter, leaf *node
}

// pkiSpec is the specification of a pki, to be modified per case.
type pkiSpec struct {
	root, inter, leaf spec
}

func defaultPKI() pkiSpec {
	return pkiSpec{root: caSpec("Test Root CA", 0), inter: caSpec("Test Intermediate CA", 1), leaf: leafSpec()}
}

// build issues p; nil when crypto/x509 refuses one of its templates.
func (g *gen) build(p pkiSpec) *pki {
	root := g.issue(p.root, nil)
	if root == nil {
		return nil
	}
	inter := g.issue(p.inter, root)
	if inter == nil {
		return nil
	}
	leaf := g.issue(p.leaf, inter)
	if leaf == nil {
		return nil
	}
	return &pki{root: root, inter: inter, leaf: leaf}
}

// tcase is one differential case.
type tcase struct {
	shape string
	desc  string
	chain []*x509.Certificate // served, leaf first
	trust []*x509.Certificate
	host  string
	level int
}

// certs lists the certificates of nodes.
func certs(nodes ...*node) []*x509.Certificate {
	out := make([]*x509.Certificate, len(nodes))
	for i, n := range nodes {
		out[i] = n.x
	}
	return out
}

// caseList collects cases.
type caseList struct {
	cases []tcase
}

func (l *caseList) add(shape, desc string, chain, trust []*x509.Certificate, host string, level int) {
	l.cases = append(l.cases, tcase{shape: shape, desc: desc, chain: chain, trust: trust, host: host, level: level})
}

// addPKI adds the usual presentation of p: served leaf and intermediate,
// the root trusted.
func (l *caseList) addPKI(shape, desc string, p *pki, host string) {
	l.add(shape, desc, certs(p.leaf, p.inter), certs(p.root), host, DefaultSecurityLevel)
}

func kuString(ku x509.KeyUsage) string {
	if ku == 0 {
		return "none"
	}
	return fmt.Sprintf("%#x", int(ku))
}
