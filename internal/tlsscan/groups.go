package tlsscan

import (
	"context"
	"crypto/ecdh"
	"crypto/elliptic"
	"errors"
	"fmt"
	"slices"

	"github.com/magflow/pgtls_exporter/internal/ciphers"
)

// Group is a named group for the key exchange, with its IANA name.
type Group struct {
	ID   uint16
	Name string
}

// Groups are the groups a scan tries, in this order: X25519 and the NIST
// curves, X448, the finite-field groups of RFC 7919 and the hybrid
// post-quantum X25519MLKEM768.
func Groups() []Group {
	return []Group{{0x001d, "x25519"}, {0x0017, "secp256r1"}, {0x0018, "secp384r1"}, {0x0019, "secp521r1"},
		{0x001e, "x448"}, {0x0100, "ffdhe2048"}, {0x0101, "ffdhe3072"}, {0x0102, "ffdhe4096"},
		{0x0103, "ffdhe6144"}, {0x0104, "ffdhe8192"}, {0x11ec, "X25519MLKEM768"}}
}

// elliptic reports whether the group can key the ECDHE suites of TLS 1.2
// and older: a curve, not a finite-field or hybrid group.
func (g Group) elliptic() bool { return g.ID < 0x0100 }

// curveGroup is the group of an elliptic curve of crypto/elliptic, 0 for
// another.
func curveGroup(c elliptic.Curve) uint16 {
	switch c {
	case elliptic.P256():
		return 0x0017
	case elliptic.P384():
		return 0x0018
	case elliptic.P521():
		return 0x0019
	}
	return 0
}

// ecdhCurve is crypto/ecdh's curve for a group, nil for a group it lacks.
func ecdhCurve(id uint16) ecdh.Curve {
	switch id {
	case 0x001d:
		return ecdh.X25519()
	case 0x0017:
		return ecdh.P256()
	case 0x0018:
		return ecdh.P384()
	case 0x0019:
		return ecdh.P521()
	}
	return nil
}

// groups learns the groups the server accepts, one hello per group. With
// TLS 1.3, when the server accepted it, a hello offers only that group and
// the group is accepted when the ServerHello or HelloRetryRequest selects
// it. Otherwise the hellos are of the newest version the server accepted,
// offer only the ECDHE suites it accepted there, and the group is accepted
// when the ServerKeyExchange uses it; finite-field and hybrid groups cannot
// be learned that way. Before TLS 1.3 a server uses an ECDSA certificate
// only if the hello lists its curve, so a first hello learns that curve
// and every hello lists it after the group tried: a server that ranks the
// certificate's curve higher than the group tried uses the curve, and the
// group is not seen.
func (s *scanner) groups(ctx context.Context, versions []VersionResult) ([]Group, error) {
	var vr VersionResult
	for _, v := range versions {
		if v.Accepted {
			vr = v // versions are oldest first: the newest accepted wins
		}
	}
	tls13 := vr.Version.ID == versionTLS13
	suites := slices.DeleteFunc(slices.Clone(vr.Suites), func(c ciphers.Suite) bool { return !tls13 && c.Kx != "ECDH" })
	if len(suites) == 0 {
		return nil, nil
	}
	var certCurve uint16
	if !tls13 {
		var curves []uint16
		for _, g := range Groups() {
			if g.elliptic() {
				curves = append(curves, g.ID)
			}
		}
		sh, err := s.hello(ctx, helloSpec{what: vr.Version.Name + " hello for the certificate's curve", version: vr.Version.ID,
			suites: suites, groups: curves, keyExchange: true})
		if errors.Is(err, errRefused) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		certCurve = sh.certCurve
	}
	var out []Group
	for _, g := range Groups() {
		if !tls13 && !g.elliptic() {
			continue
		}
		spec := helloSpec{what: fmt.Sprintf("%s hello for group %s", vr.Version.Name, g.Name), version: vr.Version.ID,
			suites: suites, groups: []uint16{g.ID}, keyExchange: !tls13}
		if certCurve != 0 && certCurve != g.ID {
			spec.groups = append(spec.groups, certCurve)
		}
		sh, err := s.hello(ctx, spec)
		if errors.Is(err, errRefused) || err == nil && tls13 && sh.version != versionTLS13 {
			continue
		}
		if err != nil {
			return nil, err
		}
		switch {
		case !slices.ContainsFunc(suites, func(c ciphers.Suite) bool { return c.ID == sh.suite }):
			return nil, fmt.Errorf("scan %s: %s: the server picked suite 0x%04x, which was not offered", s.opts.Address, spec.what, sh.suite)
		case !slices.Contains(spec.groups, sh.group):
			return nil, fmt.Errorf("scan %s: %s: the server selected group 0x%04x, which was not offered", s.opts.Address, spec.what, sh.group)
		case sh.group == g.ID:
			out = append(out, g)
		}
	}
	return out, nil
}
