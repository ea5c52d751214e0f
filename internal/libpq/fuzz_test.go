package libpq

import (
	"crypto/x509"
	"encoding/binary"
	"net"
	"testing"
)

// packDER joins certificates as length-prefixed DER, the fuzz input form.
func packDER(list ...[]byte) []byte {
	var out []byte
	for _, der := range list {
		out = binary.BigEndian.AppendUint32(out, uint32(len(der)))
		out = append(out, der...)
	}
	return out
}

// unpackDER splits a fuzz input into certificates that crypto/x509 parses;
// the ones it refuses are dropped, as a TLS client would never get them.
func unpackDER(in []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for len(in) >= 4 {
		n := int(binary.BigEndian.Uint32(in))
		in = in[4:]
		if n > len(in) {
			n = len(in)
		}
		if x, err := x509.ParseCertificate(in[:n]); err == nil {
			out = append(out, x)
		}
		in = in[n:]
	}
	return out
}

// FuzzVerify feeds mutated chains and trust files to Verify: whatever
// crypto/x509 parses, Verify must answer without panicking, and its answer
// must be consistent.
func FuzzVerify(f *testing.F) {
	g := newGen(f)
	p := defaultPKI()
	p.inter.permDNS, p.inter.exclIP = []string{"example.com"}, []*net.IPNet{ipNet("10.0.0.0", 24)}
	p.leaf.ips = ips("10.0.0.5")
	b := g.build(p)
	ss := g.must(leafSpec(), nil)
	cn := defaultPKI()
	cn.leaf.dns, cn.leaf.cn = nil, "db.example.com"
	c := g.build(cn)
	f.Add(packDER(b.leaf.x.Raw, b.inter.x.Raw), packDER(b.root.x.Raw), "db.example.com", uint8(2))
	f.Add(packDER(b.leaf.x.Raw, b.inter.x.Raw, b.root.x.Raw), packDER(b.inter.x.Raw), "10.0.0.5", uint8(1))
	f.Add(packDER(ss.x.Raw), packDER(ss.x.Raw), "a.example.com", uint8(0))
	f.Add(packDER(c.leaf.x.Raw, c.inter.x.Raw), packDER(c.root.x.Raw, b.root.x.Raw), "127.1", uint8(2))
	f.Fuzz(func(t *testing.T, chainDER, trustDER []byte, host string, level uint8) {
		chain, trust := unpackDER(chainDER), unpackDER(trustDER)
		v := Verify(Input{Chain: chain, Trust: trust, Host: host, SecurityLevel: int(level%7) - 1, Now: diffNow})
		if v.Err != nil {
			_ = v.Err.Error()
			_ = v.Err.Code.String()
			if v.NameErr != nil {
				t.Fatalf("a name error after a chain error: %v, %v", v.Err, v.NameErr)
			}
		}
		if v.NameErr != nil {
			_ = v.NameErr.Error()
		}
		if v.OK() && len(chain) == 0 {
			t.Fatal("an empty chain verified")
		}
		if len(chain) > 0 {
			_, _ = MatchHost(chain[0], host)
		}
	})
}
