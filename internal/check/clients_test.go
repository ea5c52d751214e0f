package check

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// opensslCert has openssl make a key (genpkey args) and a certificate for
// db and 127.0.0.1 signed by ca; it returns the certificate and key PEM.
func opensslCert(t *testing.T, ca *testcerts.Issued, genpkey ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		testenv.SkipOrFatal(t, "openssl not installed")
	}
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	testcerts.WriteFile(t, p("ca.crt"), ca.CertPEM, 0o644)
	testcerts.WriteFile(t, p("ca.key"), ca.KeyPEM, 0o600)
	testcerts.WriteFile(t, p("ext.cnf"), []byte("subjectAltName=DNS:db,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"), 0o644)
	for _, args := range [][]string{
		append(append([]string{"genpkey"}, genpkey...), "-out", p("server.key")),
		{"req", "-new", "-key", p("server.key"), "-subj", "/CN=db", "-out", p("server.csr")},
		{"x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-set_serial", "0x5eed",
			"-days", "365", "-extfile", p("ext.cnf"), "-out", p("server.crt")},
	} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	certPEM, err = os.ReadFile(p("server.crt"))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err = os.ReadFile(p("server.key"))
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM
}

// trustedForm is certPEM rewritten by openssl as a TRUSTED CERTIFICATE.
func trustedForm(t *testing.T, certPEM []byte) []byte {
	t.Helper()
	in := testcerts.WriteFile(t, filepath.Join(t.TempDir(), "in.crt"), certPEM, 0o644)
	cmd := exec.Command("openssl", "x509", "-in", in, "-trustout", "-addtrust", "serverAuth")
	out, err := cmd.Output()
	if err != nil || !bytes.HasPrefix(out, []byte("-----BEGIN TRUSTED CERTIFICATE-----")) {
		t.Fatalf("openssl -trustout: %v\n%s", err, out)
	}
	return out
}

// TestClientsThatConnectAreNotCritical serves, from a real PostgreSQL,
// certificates that libpq's verify-full accepts though Go's crypto may not
// read or accept them, and checks that none is reported CRITICAL.
func TestClientsThatConnectAreNotCritical(t *testing.T) {
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	tc.RotatePostgres(t, testcerts.Options{CommonName: "db"}) // a common name, no SAN
	s := testenv.StartT(t, testenv.Options{Certs: tc.Files})
	f := tc.Files
	cfgPath := testcerts.WriteFile(t, filepath.Join(t.TempDir(), "config.yml"), []byte(fmt.Sprintf(`
ca: {cert: %s}
certificates:
  - {name: postgres, cert: %s, key: %s, expected_names: [db]}
targets:
  - {name: postgres, address: %q, server_name: db, certificate: postgres}
`, f.CA, f.PostgresCert, f.PostgresKey, s.PostgresAddr())), 0o644)
	run := func() (int, string) {
		var out bytes.Buffer
		code := Run(context.Background(), &out, Options{ConfigFile: cfgPath})
		return code, out.String()
	}
	serve := func(certPEM, keyPEM []byte) {
		t.Helper()
		for path, data := range map[string][]byte{f.PostgresCert: certPEM, f.PostgresKey: keyPEM} {
			if err := os.WriteFile(path, data, 0); err != nil { // in place: owner and mode stay
				t.Fatal(err)
			}
		}
		if err := s.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	addr := s.PostgresAddr()

	t.Run("common name, no SAN", func(t *testing.T) {
		code, out := run()
		for _, want := range [][6]string{
			{"postgres", "san", "WARNING", "common_name_only", f.PostgresCert, "covers db only through its common name: " + certs.CommonNameClients},
			{"postgres", "served-verify", "WARNING", "common_name_only", addr, "verify-full passes for db only through the common name: libpq"},
		} {
			if code != 1 || !hasRow(out, want) {
				t.Fatalf("exit %d, want 1 and row %q\n%s", code, want, out)
			}
		}
	})

	t.Run("TRUSTED CERTIFICATE PEM", func(t *testing.T) {
		is := testcerts.Issue(t, tc.CA, testenv.PostgresCertOptions())
		serve(trustedForm(t, is.CertPEM), is.KeyPEM)
		code, out := run()
		for _, want := range [][6]string{
			{"postgres", "file", "OK", "-", f.PostgresCert, "cert file read: 1 certificate"},
			{"postgres", "served-vs-file", "OK", "-", addr, "serves serial " + certs.Serial(is.Cert) + ", the certificate file of postgres"},
		} {
			if code != 0 || !hasRow(out, want) {
				t.Fatalf("exit %d, want 0 and row %q\n%s", code, want, out)
			}
		}
	})

	for name, genpkey := range map[string][]string{
		"Ed448":   {"-algorithm", "ed448"},
		"RSA-PSS": {"-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"},
	} {
		t.Run(name+" key", func(t *testing.T) {
			serve(opensslCert(t, tc.CA, genpkey...))
			code, out := run()
			for _, want := range [][6]string{
				{"postgres", "handshake", "UNKNOWN", "unsupported_key_type", addr, "key type not supported by the probe: the server's certificate has an " + name +
					" key, which libpq (OpenSSL) can use but Go's TLS cannot negotiate: remote error: tls: handshake failure"},
				{"postgres", "key-match", "UNKNOWN", "key_unsupported", f.PostgresKey, "cannot check that the key matches the certificate: key type not supported by pgtls_exporter (Go's crypto): " + name},
				{"postgres", "san", "OK", "-", f.PostgresCert, "covers db"},
				{"postgres", "verify", "OK", "-", f.PostgresCert, "chains to the configured CA"},
			} {
				if code != 3 || !hasRow(out, want) {
					t.Fatalf("exit %d, want 3 and row %q\n%s", code, want, out)
				}
			}
			if strings.Contains(out, " CRITICAL ") {
				t.Fatalf("a CRITICAL row:\n%s", out)
			}
		})
	}
}
