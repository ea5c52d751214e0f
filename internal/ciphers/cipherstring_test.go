package ciphers

import (
	"context"
	"errors"
	"math/rand/v2"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// opensslEnables returns the TLS 1.2 and older suites `openssl ciphers -s`
// lists for spec, by IANA name, and whether OpenSSL accepted the string.
func opensslEnables(t *testing.T, spec string) ([]string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "openssl", "ciphers", "-s", "-stdname", "--", spec).Output()
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("openssl ciphers %q: %v", spec, err)
		}
		return nil, false
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || slices.Contains([]string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}, f[0]) {
			continue
		}
		names = append(names, f[0])
	}
	sort.Strings(names)
	return names, true
}

// cipherStrings are the strings compared with OpenSSL: the defaults of
// PostgreSQL and PgBouncer, every alias alone and at each level, and
// random strings of aliases, suite names and operators.
func cipherStrings() []string {
	specs := []string{
		"HIGH:MEDIUM:+3DES:!aNULL", "HIGH:!aNULL", "DEFAULT", "DEFAULT:@SECLEVEL=0", "ALL:@SECLEVEL=0",
		"HIGH+EECDH:HIGH+EDH:!SSLv3:!SHA384:!SHA256:!DSS:!aNULL",
		"HIGH+EECDH:HIGH+EDH:HIGH+RSA:+SHA384:+SHA256:+SSLv3:+EDH:+RSA:-3DES:3DES+RSA:!CAMELLIA:!DSS:!aNULL",
		"HIGH+EECDH:HIGH+EDH:HIGH+RSA:+AES256:+SHA256:+SHA384:+SSLv3:+EDH:+RSA:-3DES:3DES+RSA:!CAMELLIA:!DSS:!aNULL",
		"HIGH:+3DES:!aNULL", "ALL:!aNULL:!eNULL", "ALL:COMPLEMENTOFALL:@SECLEVEL=0", "eNULL:@SECLEVEL=0",
		"HIGH:!aNULL:DEFAULT", "aNULL:-aNULL:aNULL:@SECLEVEL=0", "aNULL:!aNULL:aNULL:@SECLEVEL=0", "@SECLEVEL=0",
		"NOSUCH", "NOSUCH:HIGH", "AES128-SHA", "AES128-SHA:@SECLEVEL=0", "kRSA+AES256+SHA256", "HIGH;!kRSA",
		"HIGH, !aNULL", "ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384", "DEFAULT:!ECDHE",
	}
	names := []string{"ALL", "COMPLEMENTOFALL", "COMPLEMENTOFDEFAULT"}
	for name := range aliases() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, n := range names {
		specs = append(specs, n, n+":@SECLEVEL=0", n+":@SECLEVEL=1", n+":@SECLEVEL=3")
	}
	for _, s := range opensslSuites() {
		if !s.TLS13() {
			names = append(names, s.OpenSSL)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 600 {
		var elems []string
		for range 1 + r.IntN(5) {
			e := names[r.IntN(len(names))]
			if r.IntN(4) == 0 {
				e += "+" + names[r.IntN(len(names))]
			}
			elems = append(elems, []string{"", "", "!", "-", "+"}[r.IntN(5)]+e)
		}
		if r.IntN(3) == 0 {
			elems = append(elems, []string{"@SECLEVEL=0", "@SECLEVEL=1", "@SECLEVEL=3", "@STRENGTH"}[r.IntN(4)])
		}
		specs = append(specs, strings.Join(elems, ":"))
	}
	return specs
}

// TestParseAgreesWithOpenSSL gives each string to Parse and to
// `openssl ciphers -s`, which reads it as a server does, and requires the
// same suites (or the same refusal) for every one.
func TestParseAgreesWithOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		testenv.SkipOrFatal(t, "openssl: %v", err)
	}
	disagree := 0
	specs := cipherStrings()
	for _, spec := range specs {
		want, accepted := opensslEnables(t, spec)
		got, err := Parse(spec, DefaultLevel)
		var names []string
		for _, s := range got.Suites {
			names = append(names, s.Name)
		}
		sort.Strings(names)
		if (err == nil) != accepted || !slices.Equal(names, want) {
			disagree++
			if disagree <= 10 {
				t.Errorf("%q:\nParse   %v (err %v)\nopenssl %v (accepted %v)", spec, names, err, want, accepted)
			}
		}
	}
	if disagree > 0 {
		t.Fatalf("%d of %d strings disagree with openssl ciphers -s", disagree, len(specs))
	}
	t.Logf("%d strings, no disagreement", len(specs))
}
