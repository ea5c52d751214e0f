package certs

import (
	"crypto/x509"
	"github.com/magflow/pgtls_exporter/internal/libpq"
	"io/fs"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

func TestMatchName(t *testing.T) {
	c := testcerts.Issue(t, nil, testcerts.Options{CommonName: "db",
		DNSNames: []string{"postgres", "*.pg.example.com", "10.0.0.5"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}}).Cert
	cases := map[string]libpq.HostMatch{
		"postgres": libpq.MatchSAN, "POSTGRES": libpq.MatchSAN, "a.pg.example.com": libpq.MatchSAN, "pg.example.com": libpq.NoMatch,
		"a.b.pg.example.com": libpq.NoMatch, "db": libpq.NoMatch /* a DNS SAN exists: the CN is ignored */, "127.0.0.1": libpq.MatchSAN,
		"::1": libpq.MatchSAN, "0:0:0:0:0:0:0:1": libpq.MatchSAN, "10.0.0.1": libpq.NoMatch, "localhost": libpq.NoMatch,
		"10.0.0.5": libpq.MatchIPAsDNS, // libpq compares DNS SANs with the host as text
	}
	for name, want := range cases {
		if got := MatchName(c, name); got != want {
			t.Errorf("MatchName(%q) = %v, want %v", name, got, want)
		}
	}
	if got := SANs(c); got != "DNS:postgres,DNS:*.pg.example.com,DNS:10.0.0.5,IP:127.0.0.1,IP:::1" {
		t.Errorf("SANs = %q", got)
	}
}

func TestSerialAndFingerprint(t *testing.T) {
	c := testcerts.Issue(t, nil, testcerts.Options{CommonName: "x", Serial: 0xabc}).Cert
	if got := Serial(c); got != "0abc" {
		t.Errorf("Serial = %q, want 0abc", got)
	}
	if fp := Fingerprint(c); len(fp) != 64 || strings.ToLower(fp) != fp {
		t.Errorf("Fingerprint = %q", fp)
	}
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	ca := testcerts.Issue(t, nil, testcerts.Options{CommonName: "CA", IsCA: true,
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0)})
	oldCA := testcerts.Issue(t, nil, testcerts.Options{CommonName: "Old CA", IsCA: true,
		NotBefore: now.AddDate(-3, 0, 0), NotAfter: now.AddDate(0, 0, -1)})
	other := testcerts.Issue(t, nil, testcerts.Options{CommonName: "Other CA", IsCA: true,
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(5, 0, 0)})
	valid := func(parent *testcerts.Issued, o testcerts.Options) []*x509.Certificate {
		if o.NotBefore.IsZero() {
			o.NotBefore, o.NotAfter = now.AddDate(0, -1, 0), now.AddDate(0, 11, 0)
		}
		return []*x509.Certificate{testcerts.Issue(t, parent, o).Cert}
	}
	auth := NewAuthority([]*x509.Certificate{ca.Cert, oldCA.Cert}, 2)
	tests := []struct {
		name      string
		chain     []*x509.Certificate
		want      VerifyReason
		recheckAt time.Time
		detail    string
	}{
		{name: "ok", chain: valid(ca, testcerts.Options{CommonName: "ok"}), want: VerifyOK, recheckAt: now.AddDate(0, 11, 0)},
		{name: "expired", chain: valid(ca, testcerts.Options{CommonName: "old", NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(0, 0, -1)}), want: VerifyExpired,
			recheckAt: now.AddDate(5, 0, 0), detail: `"CN=old" expired at 2026-05-31T00:00:00Z (OpenSSL: certificate has expired, depth 0)`},
		{name: "not yet valid", chain: valid(ca, testcerts.Options{CommonName: "new", NotBefore: now.AddDate(0, 0, 2), NotAfter: now.AddDate(1, 0, 0)}), want: VerifyNotYetValid,
			recheckAt: now.AddDate(0, 0, 2), detail: `"CN=new" is not valid before 2026-06-03T00:00:00Z (OpenSSL: certificate is not yet valid, depth 0)`},
		{name: "unknown authority", chain: valid(other, testcerts.Options{CommonName: "stranger"}), want: VerifyUnknownAuthority,
			recheckAt: now.AddDate(0, 11, 0), detail: `"CN=stranger" is signed by "CN=Other CA", which neither the CA file nor the chain holds (OpenSSL: unable to get local issuer certificate, depth 0)`},
		{name: "self-signed", chain: valid(nil, testcerts.Options{CommonName: "self"}), want: VerifyUnknownAuthority,
			recheckAt: now.AddDate(0, 11, 0), detail: `"CN=self" is self-signed and not in the CA file (OpenSSL: self-signed certificate, depth 0)`},
		{name: "client-only key usage", chain: valid(ca, testcerts.Options{CommonName: "client", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}), want: VerifyWrongKeyUsage,
			recheckAt: now.AddDate(0, 11, 0), detail: `"CN=client" has extended key usage clientAuth, without serverAuth (OpenSSL: unsuitable certificate purpose, depth 0)`},
		{name: "expired CA", chain: valid(oldCA, testcerts.Options{CommonName: "orphan"}), want: VerifyExpired,
			recheckAt: now.AddDate(0, 11, 0), detail: `"CN=Old CA" expired at 2026-05-31T00:00:00Z (OpenSSL: certificate has expired, depth 1)`},
		{name: "empty chain", chain: nil, want: VerifyNoCertificate, detail: "no certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := auth.Verify(tc.chain, "", now)
			if v.Reason != tc.want {
				t.Fatalf("reason %q, want %q (%v)", v.Reason, tc.want, v.Err)
			}
			if !v.RecheckAt.Equal(tc.recheckAt) {
				t.Errorf("RecheckAt %v, want %v", v.RecheckAt, tc.recheckAt)
			}
			if tc.detail != "" && v.Detail() != tc.detail {
				t.Errorf("detail %q\nwant   %q", v.Detail(), tc.detail)
			}
			if v.OK() != (tc.want == VerifyOK) {
				t.Errorf("OK() = %v", v.OK())
			}
		})
	}
}

func TestVerifyThroughIntermediate(t *testing.T) {
	now := time.Now()
	root := testcerts.CA(t, "Root")
	inter := testcerts.Issue(t, root, testcerts.Options{CommonName: "Intermediate", IsCA: true})
	leaf := testcerts.Issue(t, inter, testcerts.Options{CommonName: "leaf", DNSNames: []string{"db"}})
	auth := NewAuthority([]*x509.Certificate{root.Cert}, 2)
	if v := auth.Verify([]*x509.Certificate{leaf.Cert, inter.Cert}, "db", now); !v.OK() {
		t.Fatalf("with intermediate: %v", v.Detail())
	}
	if v := auth.Verify([]*x509.Certificate{leaf.Cert}, "db", now); v.Reason != VerifyUnknownAuthority {
		t.Fatalf("without intermediate: %v", v.Detail())
	}
}

func TestJudgeKeyFile(t *testing.T) {
	pg := ServerUser{Name: "postgres", UID: 101, GIDs: []uint32{104, 103}}
	reg := func(perm fs.FileMode) fs.FileMode { return perm }
	tests := []struct {
		name             string
		facts            FileFacts
		accepted, isRead bool
		reason           string
	}{
		{"db user 0600", FileFacts{reg(0o600), 101, 104}, true, true, ""},
		{"db user 0400", FileFacts{reg(0o400), 101, 104}, true, true, ""},
		{"db user 0700 (owner bits are not judged)", FileFacts{reg(0o700), 101, 104}, true, true, ""},
		{"db user 0640", FileFacts{reg(0o640), 101, 104}, false, true, "has group or world access; File must have permissions u=rw (0600) or less if owned by the database user"},
		{"db user 0644", FileFacts{reg(0o644), 101, 104}, false, true, "has group or world access; File must have permissions u=rw (0600) or less if owned by the database user"},
		{"db user 0200 unreadable", FileFacts{reg(0o200), 101, 104}, true, false, "cannot be read by postgres: Permission denied"},
		{"root:postgres 0640", FileFacts{reg(0o640), 0, 104}, true, true, ""},
		{"root:ssl-cert 0640 (supplementary group)", FileFacts{reg(0o640), 0, 103}, true, true, ""},
		{"root:root 0640", FileFacts{reg(0o640), 0, 0}, true, false, "cannot be read by postgres: Permission denied"},
		{"root:root 0600", FileFacts{reg(0o600), 0, 0}, true, false, "cannot be read by postgres: Permission denied"},
		{"root 0660 group write", FileFacts{reg(0o660), 0, 104}, false, true, "has group or world access; File must have permissions u=rw,g=r (0640) or less if owned by root"},
		{"root 0644", FileFacts{reg(0o644), 0, 104}, false, true, "has group or world access; File must have permissions u=rw,g=r (0640) or less if owned by root"},
		{"root 0650 group exec", FileFacts{reg(0o650), 0, 104}, false, true, "has group or world access; File must have permissions u=rw,g=r (0640) or less if owned by root"},
		{"other owner 0600", FileFacts{reg(0o600), 1000, 1000}, false, false, "must be owned by the database user (postgres) or root"},
		{"directory", FileFacts{fs.ModeDir | 0o700, 101, 104}, false, true, "is not a regular file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := JudgeKeyFile(tc.facts, pg)
			if v.Accepted != tc.accepted || v.Readable != tc.isRead || v.Reason != tc.reason {
				t.Fatalf("got %+v, want accepted=%v readable=%v reason=%q", v, tc.accepted, tc.isRead, tc.reason)
			}
			if v.OK() != (tc.accepted && tc.isRead) {
				t.Fatalf("OK() = %v", v.OK())
			}
		})
	}
}

// TestVerifySecurityLevel: a 1024-bit RSA server key fails at OpenSSL's
// level 2 (Debian 12's default) and passes at level 1, as libpq decides.
func TestVerifySecurityLevel(t *testing.T) {
	now := time.Now()
	ca := testcerts.CA(t, "Level CA")
	weak := testcerts.IssueShaped(t, ca, "db", testcerts.WeakRSAKey(t), func(c *x509.Certificate) { c.DNSNames = []string{"db"} })
	chain := []*x509.Certificate{weak.Cert}
	v := NewAuthority([]*x509.Certificate{ca.Cert}, 2).Verify(chain, "db", now)
	want := `"CN=db" has a key too weak for OpenSSL's security level 2: RSA 1024 (OpenSSL: EE certificate key too weak, depth 0)`
	if v.Reason != VerifyWeakKey || v.Detail() != want || v.Level != 2 {
		t.Errorf("level 2: %s: %s\nwant %s", v.Reason, v.Detail(), want)
	}
	if v := NewAuthority([]*x509.Certificate{ca.Cert}, 1).Verify(chain, "db", now); !v.OK() || v.Level != 1 {
		t.Errorf("level 1: %s: %s", v.Reason, v.Detail())
	}
}
