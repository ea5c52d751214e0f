package probe

import (
	"bytes"
	"crypto/x509"
	"slices"
	"sync"
	"time"
)

// maxVerifiedChains bounds how many served leaves VerifiedChains keeps;
// when it is full the next success starts it afresh. maxVerifiedVariants
// bounds the server names and CA pools remembered per leaf (one
// certificate served under several names, by several targets).
const (
	maxVerifiedChains   = 1024
	maxVerifiedVariants = 8
)

// VerifiedChains remembers served chains that passed verify-full, so that a
// server that serves the same chain again is not verified again: checking
// the CA's signature on the leaf is most of the CPU a probe of a healthy
// server costs. The outcome of verify-full depends only on the chain, the
// server name, the CA certificates and the time, so a remembered success
// stands exactly while the server serves the same certificates, the server
// name and the CA pool (the same *x509.CertPool, which must not change once
// used) are the same, and now lies within the validity of every
// certificate of the chain that verified. Failures are never remembered:
// they are verified, and explained, on every probe. It is meant for pools
// of one's own CA certificates: on macOS and Windows the system pool is
// verified by the platform, whose verdict may change (a revocation).
//
// A nil *VerifiedChains remembers nothing. It is safe for concurrent use.
type VerifiedChains struct {
	mu     sync.Mutex
	byLeaf map[string][]verifiedChain // by the leaf's DER
}

// verifiedChain is one remembered success.
type verifiedChain struct {
	roots         *x509.CertPool
	serverName    string
	intermediates [][]byte // DER of the served chain after the leaf
	// notBefore and notAfter bound the time when every certificate of the
	// chain that verified, root included, is valid.
	notBefore, notAfter time.Time
	cnOnly              bool
}

// NewVerifiedChains returns an empty memory of verified chains.
func NewVerifiedChains() *VerifiedChains {
	return &VerifiedChains{byLeaf: make(map[string][]verifiedChain)}
}

// lookup reports whether chain passed verify-full for serverName against
// roots and still does at now, and if so whether only by its common name.
func (v *VerifiedChains) lookup(chain []*x509.Certificate, serverName string, roots *x509.CertPool, now time.Time) (cnOnly, ok bool) {
	if v == nil || len(chain) == 0 {
		return false, false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.byLeaf[string(chain[0].Raw)] {
		if e.matches(chain, serverName, roots) {
			// x509 refuses a certificate when now is before NotBefore or after NotAfter.
			if now.Before(e.notBefore) || now.After(e.notAfter) {
				return false, false
			}
			return e.cnOnly, true
		}
	}
	return false, false
}

// matches reports whether e is about chain, served under serverName and
// verified against roots.
func (e *verifiedChain) matches(chain []*x509.Certificate, serverName string, roots *x509.CertPool) bool {
	if e.roots != roots || e.serverName != serverName || len(e.intermediates) != len(chain)-1 {
		return false
	}
	for i, c := range chain[1:] {
		if !bytes.Equal(e.intermediates[i], c.Raw) {
			return false
		}
	}
	return true
}

// remember records that chain passed verify-full for serverName against
// roots, by way of verified (leaf first, root last).
func (v *VerifiedChains) remember(chain []*x509.Certificate, serverName string, roots *x509.CertPool, verified []*x509.Certificate, cnOnly bool) {
	if v == nil || len(chain) == 0 || len(verified) == 0 {
		return
	}
	e := verifiedChain{roots: roots, serverName: serverName, cnOnly: cnOnly,
		intermediates: make([][]byte, 0, len(chain)-1)}
	for _, c := range chain[1:] {
		e.intermediates = append(e.intermediates, bytes.Clone(c.Raw)) // not the handshake message it is cut from
	}
	for i, c := range verified {
		if i == 0 || c.NotBefore.After(e.notBefore) {
			e.notBefore = c.NotBefore
		}
		if i == 0 || c.NotAfter.Before(e.notAfter) {
			e.notAfter = c.NotAfter
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	variants, found := v.byLeaf[string(chain[0].Raw)]
	if !found && len(v.byLeaf) >= maxVerifiedChains {
		clear(v.byLeaf)
	}
	variants = slices.DeleteFunc(variants, func(old verifiedChain) bool { return old.matches(chain, serverName, roots) })
	if len(variants) >= maxVerifiedVariants {
		variants = variants[:0]
	}
	v.byLeaf[string(chain[0].Raw)] = append(variants, e)
}

// len returns how many chains are remembered, each server name and CA
// pool of a leaf counted apart.
func (v *VerifiedChains) len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for _, variants := range v.byLeaf {
		n += len(variants)
	}
	return n
}
