package tlsscan

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/ciphers"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// opensslAccepts reports whether `openssl s_client -starttls postgres`
// completes a handshake with version flag (-tls1, -tls1_2, ...) and, when
// given, only cipher (an OpenSSL cipher name, or a TLS 1.3 suite).
func opensslAccepts(t *testing.T, addr, version, cipher string, tls13 bool) bool {
	t.Helper()
	args := []string{"s_client", "-connect", addr, "-starttls", "postgres", version, "-brief"}
	if cipher != "" && tls13 {
		args = append(args, "-ciphersuites", cipher)
	} else if cipher != "" {
		args = append(args, "-cipher", cipher+":@SECLEVEL=0")
	} else {
		args = append(args, "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", args...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	return err == nil && strings.Contains(string(out), "CONNECTION ESTABLISHED")
}

// TestScanAgreesWithOpenSSLAndTestssl scans a real PostgreSQL and the
// PgBouncer in front of it, with their default settings, hardened and
// weak, and requires the accepted versions and, for each, the accepted
// suites to be exactly those `openssl s_client` completes a handshake
// with, and those testssl.sh finds.
func TestScanAgreesWithOpenSSLAndTestssl(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		testenv.SkipOrFatal(t, "openssl: %v", err)
	}
	all := []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
	for _, tc := range []struct {
		name            string
		pg, pgb         []string
		pgWant, pgbWant []string
	}{
		{"default", []string{"ssl_ciphers = 'HIGH:MEDIUM:+3DES:!aNULL'"}, nil, all[2:], all[2:]},
		{"hardened", nil, []string{"client_tls_protocols = secure", "client_tls_ciphers = HIGH:!aNULL"}, all[2:], all[2:]},
		{"weak", []string{"ssl_min_protocol_version = 'TLSv1'", "ssl_ciphers = 'DEFAULT:@SECLEVEL=0'"},
			[]string{"client_tls_protocols = all", "client_tls_ciphers = ALL:@SECLEVEL=0"}, all, all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tcerts := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
			s := testenv.StartT(t, testenv.Options{Certs: tcerts.Files, WithPgBouncer: true, PostgresConf: tc.pg, PgBouncerConf: tc.pgb})
			for _, server := range []struct {
				name, addr string
				want       []string
			}{{"PostgreSQL", s.PostgresAddr(), tc.pgWant}, {"PgBouncer", s.PgBouncerAddr(), tc.pgbWant}} {
				res := scanAgreesWithOpenSSL(t, server.name, server.addr, server.want)
				compareWithTestssl(t, server.addr, res)
			}
		})
	}
}

// scanAgreesWithOpenSSL scans addr, requires the accepted versions to be
// want, and each version's and each suite's acceptance to be what
// `openssl s_client` gets.
func scanAgreesWithOpenSSL(t *testing.T, server, addr string, want []string) *Result {
	t.Helper()
	flags := map[string]string{"SSLv3": "-ssl3", "TLSv1": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2", "TLSv1.3": "-tls1_3"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Scan(ctx, Options{Address: addr, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("%s: %v", server, err)
	}
	if got := res.Accepted(); !slices.Equal(got, want) {
		t.Fatalf("%s: accepted versions %v, want %v", server, got, want)
	}
	for _, vr := range res.Versions {
		if vr.Version.Name == "SSLv3" {
			continue // Debian's OpenSSL 3.0 has no SSLv3 to compare with
		}
		flag := flags[vr.Version.Name]
		if want := opensslAccepts(t, addr, flag, "", false); vr.Accepted != want {
			t.Errorf("%s %s: scan says accepted %v, openssl s_client %v", server, vr.Version.Name, vr.Accepted, want)
		}
		if !vr.Accepted {
			continue
		}
		tls13 := vr.Version.Name == "TLSv1.3"
		var got, want []string
		for _, suite := range suitesFor(vr.Version.ID) {
			if suite.OpenSSL == "" {
				continue // not in this OpenSSL: the server cannot pick it either
			}
			name := suite.OpenSSL
			if tls13 {
				name = suite.Name
			}
			if opensslAccepts(t, addr, flag, name, tls13) {
				want = append(want, suite.Name)
			}
		}
		for _, suite := range vr.Suites {
			got = append(got, suite.Name)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s %s suites:\nscan    %v\nopenssl %v", server, vr.Version.Name, got, want)
		}
		t.Logf("%s %s: %d suites, weak: %v", server, vr.Version.Name, len(got), weakNames(vr.Suites))
	}
	t.Logf("%s: %d handshakes in %s", server, res.Handshakes, res.Duration.Round(time.Millisecond))
	return res
}

func weakNames(suites []ciphers.Suite) []string {
	var out []string
	weak := ciphers.CompileWeakness(config.DefaultWeakCiphers())
	for _, s := range suites {
		if weak.Of(s) != "" {
			out = append(out, s.Name)
		}
	}
	return out
}
