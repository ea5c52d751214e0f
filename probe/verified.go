package probe

import (
	"bytes"
	"crypto/x509"
	"slices"
	"sync"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
)

// maxVerifiedChains bounds how many served leaves VerifiedChains keeps;
// when it is full the next success starts it afresh. maxVerifiedVariants
// bounds the server names and verifiers remembered per leaf (one
// certificate served under several names, by several targets).
const (
	maxVerifiedChains   = 1024
	maxVerifiedVariants = 8
)

// VerifiedChains remembers served chains that passed verify-full, so that a
// server that serves the same chain again is not verified again: checking
// the CA's signature on the leaf is most of the CPU a probe of a healthy
// server costs. The outcome of verify-full depends only on the chain, the
// server name, the verifier (its CA certificates and security level) and
// the time, so a remembered success stands exactly while the server serves
// the same certificates, the server name and the verifier (the same value,
// which must not change once used) are the same, and no certificate of the
// chain or the CA file has become valid or expired since (the
// verification's RecheckAt). Failures are never remembered: they are
// verified, and explained, on every probe.
//
// A nil *VerifiedChains remembers nothing. It is safe for concurrent use.
type VerifiedChains struct {
	mu     sync.Mutex
	byLeaf map[string][]verifiedChain // by the leaf's DER
}

// verifiedChain is one remembered success.
type verifiedChain struct {
	verifier      Verifier
	serverName    string
	intermediates [][]byte // DER of the served chain after the leaf
	verification  certs.Verification
}

// NewVerifiedChains returns an empty memory of verified chains.
func NewVerifiedChains() *VerifiedChains {
	return &VerifiedChains{byLeaf: make(map[string][]verifiedChain)}
}

// lookup returns the remembered success of chain for serverName by
// verifier, when it still stands at now.
func (v *VerifiedChains) lookup(chain []*x509.Certificate, serverName string, verifier Verifier, now time.Time) (certs.Verification, bool) {
	if v == nil || len(chain) == 0 {
		return certs.Verification{}, false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.byLeaf[string(chain[0].Raw)] {
		if e.matches(chain, serverName, verifier) {
			if until := e.verification.RecheckAt; now.Before(e.verification.StableSince) || !until.IsZero() && !now.Before(until) {
				return certs.Verification{}, false
			}
			return e.verification, true
		}
	}
	return certs.Verification{}, false
}

// matches reports whether e is about chain, served under serverName and
// verified by verifier.
func (e *verifiedChain) matches(chain []*x509.Certificate, serverName string, verifier Verifier) bool {
	if e.verifier != verifier || e.serverName != serverName || len(e.intermediates) != len(chain)-1 {
		return false
	}
	for i, c := range chain[1:] {
		if !bytes.Equal(e.intermediates[i], c.Raw) {
			return false
		}
	}
	return true
}

// remember records that chain passed verify-full for serverName by
// verifier, with that verification.
func (v *VerifiedChains) remember(chain []*x509.Certificate, serverName string, verifier Verifier, verification certs.Verification) {
	if v == nil || len(chain) == 0 || !verification.OK() {
		return
	}
	e := verifiedChain{verifier: verifier, serverName: serverName, verification: verification,
		intermediates: make([][]byte, 0, len(chain)-1)}
	for _, c := range chain[1:] {
		e.intermediates = append(e.intermediates, bytes.Clone(c.Raw)) // not the handshake message it is cut from
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	variants, found := v.byLeaf[string(chain[0].Raw)]
	if !found && len(v.byLeaf) >= maxVerifiedChains {
		clear(v.byLeaf)
	}
	variants = slices.DeleteFunc(variants, func(old verifiedChain) bool { return old.matches(chain, serverName, verifier) })
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
