package probe

import (
	"context"
	"crypto/x509"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/libpq"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// outcome is what verify decided, comparable across calls.
type outcome struct {
	cnOnly bool
	reason certs.VerifyReason // "" when verified
	detail string
}

func verifyOutcome(chain []*x509.Certificate, name string, roots *certs.Authority, now time.Time, memo *VerifiedChains) outcome {
	v := verify(chain, name, roots, now, memo)
	if !v.OK() {
		return outcome{reason: v.Reason, detail: v.Detail()}
	}
	return outcome{cnOnly: v.Name == libpq.MatchCommonName}
}

// authority is a CA file of the given certificates, at security level 2.
func authority(cas ...*x509.Certificate) *certs.Authority { return certs.NewAuthority(cas, 2) }

// TestVerifiedChainsAgreeWithVerify checks that a remembered success never
// changes an outcome: with a memory primed by a success, every variation
// of chain, name, CA pool and time gets what verify decides without one.
func TestVerifiedChainsAgreeWithVerify(t *testing.T) {
	now := time.Now()
	ca := testcerts.CA(t, "Root")
	inter := testcerts.Issue(t, ca, testcerts.Options{CommonName: "Intermediate", IsCA: true,
		NotAfter: now.Add(30 * 24 * time.Hour)})
	leaf := testcerts.Issue(t, inter, testcerts.Options{CommonName: "db", DNSNames: []string{"db"}})
	cnLeaf := testcerts.Issue(t, ca, testcerts.Options{CommonName: "db"})
	roots := authority(ca.Cert)
	sameRoots := authority(ca.Cert)
	otherRoots := authority(testcerts.CA(t, "Other Root").Cert)
	chain := []*x509.Certificate{leaf.Cert, inter.Cert}

	tests := []struct {
		name    string
		primed  []*x509.Certificate // verified successfully at now first
		chain   []*x509.Certificate
		server  string
		roots   *certs.Authority
		at      time.Time
		want    outcome
		wantHit bool // the answer comes from the memory
	}{
		{name: "same chain, name, pool, time", primed: chain, chain: chain, server: "db", roots: roots, at: now,
			want: outcome{}, wantHit: true},
		{name: "intermediate expired since", primed: chain, chain: chain, server: "db", roots: roots,
			at: inter.Cert.NotAfter.Add(time.Second), want: outcome{reason: certs.VerifyExpired}},
		{name: "leaf and intermediate not yet valid", primed: chain, chain: chain, server: "db", roots: roots,
			at: leaf.Cert.NotBefore.Add(-time.Second), want: outcome{reason: certs.VerifyNotYetValid}},
		{name: "other server name", primed: chain, chain: chain, server: "pgbouncer", roots: roots, at: now,
			want: outcome{reason: certs.VerifyNameMismatch}},
		{name: "another CA", primed: chain, chain: chain, server: "db", roots: otherRoots, at: now,
			want: outcome{reason: certs.VerifyUnknownAuthority}},
		{name: "same CA in another authority", primed: chain, chain: chain, server: "db", roots: sameRoots, at: now,
			want: outcome{}},
		{name: "intermediate no longer served", primed: chain, chain: chain[:1], server: "db", roots: roots, at: now,
			want: outcome{reason: certs.VerifyUnknownAuthority}},
		{name: "common name only", primed: []*x509.Certificate{cnLeaf.Cert}, chain: []*x509.Certificate{cnLeaf.Cert},
			server: "db", roots: roots, at: now, want: outcome{cnOnly: true}, wantHit: true},
		{name: "common name only, expired since", primed: []*x509.Certificate{cnLeaf.Cert},
			chain: []*x509.Certificate{cnLeaf.Cert}, server: "db", roots: roots,
			at: cnLeaf.Cert.NotAfter.Add(time.Second), want: outcome{reason: certs.VerifyExpired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			memo := NewVerifiedChains()
			if got := verifyOutcome(tt.primed, "db", roots, now, memo); got.reason != "" || memo.len() != 1 {
				t.Fatalf("priming: %+v, %d remembered", got, memo.len())
			}
			_, hit := memo.lookup(tt.chain, tt.server, tt.roots, tt.at)
			if hit != tt.wantHit {
				t.Errorf("remembered = %v, want %v", hit, tt.wantHit)
			}
			without := verifyOutcome(tt.chain, tt.server, tt.roots, tt.at, nil)
			if without.reason != tt.want.reason || without.cnOnly != tt.want.cnOnly {
				t.Fatalf("without memory: %+v, want %+v", without, tt.want)
			}
			if got := verifyOutcome(tt.chain, tt.server, tt.roots, tt.at, memo); got != without {
				t.Errorf("with memory: %+v\nwithout:     %+v", got, without)
			}
		})
	}
}

func TestVerifiedChainsForgetFailures(t *testing.T) {
	now := time.Now()
	ca := testcerts.CA(t, "Root")
	expired := testcerts.Issue(t, ca, testcerts.Options{CommonName: "db", DNSNames: []string{"db"},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})
	roots := authority(ca.Cert)
	memo := NewVerifiedChains()
	for range 2 {
		if got := verifyOutcome([]*x509.Certificate{expired.Cert}, "db", roots, now, memo); got.reason != certs.VerifyExpired {
			t.Fatalf("verify = %+v, want expired", got)
		}
	}
	if n := memo.len(); n != 0 {
		t.Errorf("%d chains remembered after failures, want 0", n)
	}
	var none *VerifiedChains
	if _, hit := none.lookup([]*x509.Certificate{expired.Cert}, "db", roots, now); hit {
		t.Error("a nil memory remembered a chain")
	}
	none.remember([]*x509.Certificate{expired.Cert}, "db", roots, certs.Verification{Reason: certs.VerifyOK})
}

func TestVerifiedChainsBounded(t *testing.T) {
	memo := NewVerifiedChains()
	roots := authority()
	now := time.Now()
	cert := func(i int) []*x509.Certificate {
		return []*x509.Certificate{{Raw: []byte(fmt.Sprintf("leaf %d", i)), SerialNumber: big.NewInt(int64(i)),
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}}
	}
	for i := range maxVerifiedChains + 10 {
		c := cert(i)
		memo.remember(c, "db", roots, certs.Verification{Reason: certs.VerifyOK})
		if n := memo.len(); n > maxVerifiedChains {
			t.Fatalf("%d chains remembered, at most %d allowed", n, maxVerifiedChains)
		}
	}
	last := cert(maxVerifiedChains + 9)
	if _, hit := memo.lookup(last, "db", roots, now); !hit {
		t.Error("the chain remembered last is not remembered")
	}
}

// TestVerifiedChainsSharedCertificate: one certificate served under two
// names (by two targets) is remembered for both, so that probing them in
// turn does not verify it again each time.
func TestVerifiedChainsSharedCertificate(t *testing.T) {
	now := time.Now()
	ca := testcerts.CA(t, "Root")
	shared := testcerts.Issue(t, ca, testcerts.Options{CommonName: "db", DNSNames: []string{"db", "replica"}})
	chain := []*x509.Certificate{shared.Cert}
	roots := authority(ca.Cert)
	memo := NewVerifiedChains()
	for _, name := range []string{"db", "replica", "db"} {
		if got := verifyOutcome(chain, name, roots, now, memo); got.reason != "" {
			t.Fatalf("verify for %s: %+v", name, got)
		}
	}
	for _, name := range []string{"db", "replica"} {
		if _, hit := memo.lookup(chain, name, roots, now); !hit {
			t.Errorf("not remembered for %s", name)
		}
	}
	if n := memo.len(); n != 2 {
		t.Errorf("%d chains remembered, want 2 (one per name)", n)
	}
	var last *certs.Authority
	for range maxVerifiedVariants + 3 {
		last = authority(ca.Cert)
		if got := verifyOutcome(chain, "db", last, now, memo); got.reason != "" {
			t.Fatalf("verify with another pool: %+v", got)
		}
		if n := memo.len(); n > maxVerifiedVariants {
			t.Fatalf("%d variants of one leaf remembered, at most %d allowed", n, maxVerifiedVariants)
		}
	}
	if _, hit := memo.lookup(chain, "db", last, now); !hit {
		t.Error("the variant remembered last is not remembered")
	}
}

// TestProbeRemembersVerifiedChain probes one server twice with a memory:
// the second probe reports the same verified chain from the memory.
func TestProbeRemembersVerifiedChain(t *testing.T) {
	p := newPKI(t)
	memo := NewVerifiedChains()
	srv := startPeer(t, pgServer(p.server, false, 0, nil))
	for i := range 2 {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		res, err := Probe(ctx, Options{Address: srv.addr, ServerName: "db", Verifier: p.roots, Verified: memo})
		cancel()
		if err != nil {
			t.Fatalf("probe %d: %v", i, err)
		}
		if !res.Verified() || res.CommonNameOnly() {
			t.Errorf("probe %d: Verified() = %v, VerifyErr = %v, CommonNameOnly = %v", i, res.Verified(), res.VerifyErr(), res.CommonNameOnly())
		}
		if _, hit := memo.lookup(res.PeerCertificates, "db", p.roots, time.Now()); !hit {
			t.Errorf("probe %d: the served chain is not remembered", i)
		}
	}
	if n := memo.len(); n != 1 {
		t.Errorf("%d chains remembered, want 1", n)
	}
}
