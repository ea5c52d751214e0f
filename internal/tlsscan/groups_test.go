package tlsscan

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// sClient runs `openssl s_client -connect addr -starttls postgres` with
// args and returns its output and whether it completed a handshake
// (exited 0 with a cipher agreed).
func sClient(t *testing.T, addr string, args ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", append([]string{"s_client", "-connect", addr, "-starttls", "postgres"}, args...)...)
	cmd.Stdin = strings.NewReader("")
	b, err := cmd.CombinedOutput()
	out := string(b)
	return out, err == nil && (strings.Contains(out, "CONNECTION ESTABLISHED") || strings.Contains(out, ", Cipher is ") && !strings.Contains(out, "Cipher is (NONE)"))
}

// opensslGroup reports whether `openssl s_client` completes a handshake
// with the server that uses group g for the key exchange, with the same
// offer as the scan's: with TLS 1.3 only g; before, the ECDHE suites and g
// followed by the curve of the test certificates (P-256), which a server
// needs listed to use them.
func opensslGroup(t *testing.T, addr string, g Group, tls13 bool) bool {
	t.Helper()
	if tls13 {
		out, ok := sClient(t, addr, "-brief", "-tls1_3", "-groups", g.Name)
		if strings.Contains(out, "SSL_CONF_cmd(-groups") {
			t.Logf("%s: this openssl does not know the group", g.Name)
		}
		return ok
	}
	if g.Name == "secp256r1" {
		_, ok := sClient(t, addr, "-brief", "-tls1_2", "-cipher", "ECDHE:@SECLEVEL=0", "-groups", g.Name)
		return ok
	}
	out, ok := sClient(t, addr, "-brief", "-tls1_2", "-cipher", "ECDHE:@SECLEVEL=0", "-groups", g.Name+":P-256")
	name := map[string]string{"x25519": "X25519", "x448": "X448"}[g.Name]
	if name == "" {
		name = "ECDH, " + g.Name + ","
	}
	return ok && strings.Contains(out, "Server Temp Key: "+name)
}

// opensslCertRequest reports whether the server sent `openssl s_client
// -msg` a CertificateRequest, and whether s_client listed the
// "Acceptable client certificate CA names" ("No client certificate CA names
// sent" otherwise).
func opensslCertRequest(t *testing.T, addr string, tls13 bool) (requested, caNames bool) {
	t.Helper()
	version := "-tls1_2"
	if tls13 {
		version = "-tls1_3"
	}
	out, ok := sClient(t, addr, "-msg", version, "-cipher", "ALL:@SECLEVEL=0")
	caNames, noNames := strings.Contains(out, "Acceptable client certificate CA names"), strings.Contains(out, "No client certificate CA names sent")
	if !ok || caNames == noNames {
		t.Fatalf("openssl s_client: handshake %v, CA names sent %v, not sent %v:\n%s", ok, caNames, noNames, out)
	}
	return strings.Contains(out, "], CertificateRequest"), caNames
}

// TestGroupsAndClientCertAgreeWithOpenSSL scans real PostgreSQL servers
// (default ssl_ecdh_curve, secp384r1 and secp521r1, TLS 1.3 and TLS 1.2
// only, with and without ssl_ca_file, Camellia only) and PgBouncers (TLS
// 1.3 with and without client_tls_ca_file, TLS 1.2 only), and requires the
// groups the scan found to be exactly those `openssl s_client -groups`
// uses, group by group, and the client certificate request to be what
// s_client saw.
func TestGroupsAndClientCertAgreeWithOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		testenv.SkipOrFatal(t, "openssl: %v", err)
	}
	tls12 := "ssl_max_protocol_version = 'TLSv1.2'"
	noCA := "ssl_ca_file = ''"
	for _, tc := range []struct {
		name      string
		conf      []string
		bouncer   []string // PgBouncer settings; nil: scan PostgreSQL
		groups    []string
		requested bool
		unknown   bool // Go's TLS cannot finish the handshake, so the request stays unknown
	}{
		{"postgres default", nil, nil, []string{"secp256r1"}, true, false},
		{"postgres secp384r1 no CA", []string{"ssl_ecdh_curve = 'secp384r1'", noCA}, nil, []string{"secp384r1"}, false, false},
		{"postgres TLS 1.2 secp521r1", []string{tls12, "ssl_ecdh_curve = 'secp521r1'"}, nil, []string{"secp521r1"}, true, false},
		{"postgres TLS 1.2 no CA", []string{tls12, noCA}, nil, []string{"secp256r1"}, false, false},
		{"postgres TLS 1.2 Camellia", []string{tls12, "ssl_ciphers = 'ECDHE-ECDSA-CAMELLIA128-SHA256'"}, nil, []string{"secp256r1"}, true, true},
		{"pgbouncer", nil, []string{}, nil, true, false},
		{"pgbouncer no CA", nil, []string{"client_tls_ca_file = "}, nil, true, false},
		{"pgbouncer TLS 1.2", nil, []string{"client_tls_protocols = tlsv1.2"}, nil, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tcerts := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
			s := testenv.StartT(t, testenv.Options{Certs: tcerts.Files, PostgresConf: tc.conf,
				WithPgBouncer: tc.bouncer != nil, PgBouncerConf: tc.bouncer})
			addr := s.PostgresAddr()
			if tc.bouncer != nil {
				addr = s.PgBouncerAddr()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := Scan(ctx, Options{Address: addr, ServerName: "localhost", Timeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			accepted := res.Accepted()
			newest := accepted[len(accepted)-1]
			tls13 := newest == "TLSv1.3"
			var got, want []string
			for _, g := range res.Groups {
				got = append(got, g.Name)
			}
			for _, g := range Groups() {
				if opensslGroup(t, addr, g, tls13) {
					want = append(want, g.Name)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s groups:\nscan    %v\nopenssl %v", newest, got, want)
			}
			if tc.groups != nil && !slices.Equal(got, tc.groups) {
				t.Errorf("groups %v, want %v", got, tc.groups)
			}
			requested, caNames := opensslCertRequest(t, addr, tls13)
			if tc.unknown {
				if res.ClientCertUnknown == "" || res.RequestsClientCert {
					t.Errorf("scan: client certificate requested %v, want unknown", res.RequestsClientCert)
				}
				t.Logf("client certificate request unknown: %s; openssl s_client: CertificateRequest %v", res.ClientCertUnknown, requested)
				return
			}
			if res.ClientCertUnknown != "" || res.RequestsClientCert != requested || caNames && !requested {
				t.Errorf("scan: client certificate requested %v (%q); openssl s_client: CertificateRequest %v, CA names %v",
					res.RequestsClientCert, res.ClientCertUnknown, requested, caNames)
			}
			if res.RequestsClientCert != tc.requested {
				t.Errorf("client certificate requested %v, want %v", res.RequestsClientCert, tc.requested)
			}
			t.Logf("%s: groups %v; client certificate requested %v (s_client: CA names %v); %d connections in %s", newest, got,
				res.RequestsClientCert, caNames, res.Handshakes, res.Duration.Round(time.Millisecond))
		})
	}
}
