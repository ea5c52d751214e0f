package libpq

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
	"unicode"
)

// Extension OIDs OpenSSL reads for verification.
var (
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidSubjectAltName   = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidNameConstraints  = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidCommonName       = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidEmailAddress     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// handledCritical are the extensions OpenSSL 3.0 understands when critical
// (X509_supported_extension); any other critical extension fails
// verification.
var handledCritical = []asn1.ObjectIdentifier{
	{2, 16, 840, 1, 113730, 1, 1}, // netscape-cert-type
	oidKeyUsage, oidSubjectAltName, oidBasicConstraints,
	{2, 5, 29, 32}, // certificate policies
	oidExtKeyUsage,
	{1, 3, 6, 1, 5, 5, 7, 1, 7},  // sbgp-ipAddrBlock
	{1, 3, 6, 1, 5, 5, 7, 1, 8},  // sbgp-autonomousSysNum
	{2, 5, 29, 36},               // policy constraints
	{1, 3, 6, 1, 5, 5, 7, 1, 14}, // proxyCertInfo
	oidNameConstraints,
	{2, 5, 29, 33}, // policy mappings
	{2, 5, 29, 54}, // inhibit any policy
}

// generalName is one entry of a SAN or a name constraint, as encoded: tag
// is the GeneralName choice (1 rfc822Name, 2 dNSName, 4 directoryName,
// 6 URI, 7 iPAddress), value its content octets.
type generalName struct {
	tag   int
	value []byte
}

// General name choices.
const (
	tagOtherName = 0
	tagEmail     = 1
	tagDNS       = 2
	tagDirName   = 4
	tagURI       = 6
	tagIP        = 7
)

// cert is a certificate with what OpenSSL's x509v3_cache_extensions
// derives from it.
type cert struct {
	x          *x509.Certificate
	subject    canonName
	issuer     canonName
	hasKU      bool
	hasEKU     bool
	hasBC      bool
	sans       []generalName
	sansOK     bool // the SAN extension parsed (or is absent)
	selfIssued bool // subject equals issuer, and the AKID fits its own SKID
	selfSigned bool // self-issued, and its signature algorithm fits its key
	unhandled  bool // a critical extension OpenSSL does not handle
}

func newCert(x *x509.Certificate) *cert {
	c := &cert{x: x, subject: canonicalName(x.RawSubject), issuer: canonicalName(x.RawIssuer), sansOK: true}
	for _, e := range x.Extensions {
		switch {
		case e.Id.Equal(oidKeyUsage):
			c.hasKU = true
		case e.Id.Equal(oidExtKeyUsage):
			c.hasEKU = true
		case e.Id.Equal(oidBasicConstraints):
			c.hasBC = true
		case e.Id.Equal(oidSubjectAltName):
			c.sans, c.sansOK = parseGeneralNames(e.Value)
		}
		if e.Critical && !containsOID(handledCritical, e.Id) {
			c.unhandled = true
		}
	}
	if c.subject.equal(c.issuer) && akidFits(x, x) {
		c.selfIssued = true
		c.selfSigned = sigAlgFitsKey(x, x)
	}
	return c
}

func containsOID(list []asn1.ObjectIdentifier, id asn1.ObjectIdentifier) bool {
	for _, o := range list {
		if o.Equal(id) {
			return true
		}
	}
	return false
}

// likelyIssued is OpenSSL's ossl_x509_likely_issued: the issuer's subject
// names the subject's issuer, the subject's authority key id fits the
// issuer's subject key id, and the issuer's key can make the subject's
// signature algorithm. The signature itself is checked later.
func likelyIssued(issuer, subject *cert) bool {
	return issuer.subject.equal(subject.issuer) && akidFits(issuer.x, subject.x) && sigAlgFitsKey(issuer.x, subject.x)
}

// akidFits is X509_check_akid for the key identifier: when both are
// present they must be equal.
func akidFits(issuer, subject *x509.Certificate) bool {
	if len(subject.AuthorityKeyId) == 0 || len(issuer.SubjectKeyId) == 0 {
		return true
	}
	return bytes.Equal(subject.AuthorityKeyId, issuer.SubjectKeyId)
}

// sigAlgFitsKey reports whether the subject's signature algorithm belongs
// to the issuer's public key type.
func sigAlgFitsKey(issuer, subject *x509.Certificate) bool {
	switch subject.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA,
		x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS:
		return issuer.PublicKeyAlgorithm == x509.RSA
	case x509.ECDSAWithSHA1, x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
		return issuer.PublicKeyAlgorithm == x509.ECDSA
	case x509.DSAWithSHA1, x509.DSAWithSHA256:
		return issuer.PublicKeyAlgorithm == x509.DSA
	case x509.PureEd25519:
		return issuer.PublicKeyAlgorithm == x509.Ed25519
	}
	return true
}

// parseGeneralNames reads a GeneralNames SEQUENCE; ok is false when it
// does not parse.
func parseGeneralNames(der []byte) (names []generalName, ok bool) {
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence {
		return nil, false
	}
	for in := seq.Bytes; len(in) > 0; {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(in, &v)
		if err != nil || v.Class != asn1.ClassContextSpecific {
			return nil, false
		}
		names = append(names, generalName{tag: v.Tag, value: v.Bytes})
		in = rest
	}
	return names, true
}

// canonName is a distinguished name as OpenSSL compares names
// (X509_NAME_cmp on the canonical encoding): one entry per RDN, string
// values in UTF-8, trimmed, inner white space collapsed, ASCII lower case.
type canonName []string

func (n canonName) equal(o canonName) bool {
	if len(n) != len(o) {
		return false
	}
	for i := range n {
		if n[i] != o[i] {
			return false
		}
	}
	return true
}

// hasPrefix reports whether base's RDNs begin n (directoryName
// constraints).
func (n canonName) hasPrefix(base canonName) bool {
	return len(base) <= len(n) && n[:len(base)].equal(base)
}

// canonicalName canonicalises a DER RDNSequence; a name that does not
// parse is compared by its bytes.
func canonicalName(der []byte) canonName {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) > 0 {
		return canonName{"raw:" + string(der)}
	}
	out := make(canonName, 0, len(rdns))
	for _, rdn := range rdns {
		parts := make([]string, 0, len(rdn))
		for _, atv := range rdn {
			v, isString := atv.Value.(string)
			if !isString {
				b, _ := asn1.Marshal(atv.Value)
				parts = append(parts, atv.Type.String()+"#"+string(b))
				continue
			}
			parts = append(parts, atv.Type.String()+"="+canonString(v))
		}
		out = append(out, strings.Join(parts, "+"))
	}
	return out
}

// canonString is OpenSSL's asn1_string_canon: trim white space, collapse
// inner runs to one space, lower-case ASCII letters.
func canonString(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && unicode.IsSpace(r) })
	joined := strings.Join(fields, " ")
	var b strings.Builder
	for _, r := range joined {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rawATV and rawRDNSET read a Name keeping each value's encoding.
type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

type rawRDNSET []rawATV

// rawAttributes are the values of the name's attributes of type oid, in
// order, as encoded; none when the name does not parse.
func rawAttributes(der []byte, oid asn1.ObjectIdentifier) []asn1.RawValue {
	var rdns []rawRDNSET
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) > 0 {
		return nil
	}
	var out []asn1.RawValue
	for _, rdn := range rdns {
		for _, atv := range rdn {
			if atv.Type.Equal(oid) {
				out = append(out, atv.Value)
			}
		}
	}
	return out
}

// firstCommonName is the subject's first common name entry, which libpq
// and OpenSSL's name constraints read (X509_NAME_get_index_by_NID from -1).
func firstCommonName(x *x509.Certificate) (string, bool) {
	for _, atv := range x.Subject.Names {
		if atv.Type.Equal(oidCommonName) {
			s, ok := atv.Value.(string)
			return s, ok
		}
	}
	return "", false
}
