package renew

import (
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// TestLegacyEncryptedKeySameVerdict: a key in OpenSSL's legacy encrypted
// PEM form (Proc-Type: 4,ENCRYPTED) is "encrypted" to check, as an
// entry's key, and to renew, as the CA key, in the same words; renew used
// to call it a block that does not parse.
func TestLegacyEncryptedKeySameVerdict(t *testing.T) {
	f := newFixture(t, "").withCerts(t, time.Now().Add(10*24*time.Hour))
	legacy := testcerts.LegacyEncryptedKey(t)
	testcerts.WriteFile(t, f.path("certs/postgres.key"), legacy, 0o600)
	sentence := certs.ErrKeyEncrypted.Error()
	if sentence != "private key is encrypted" {
		t.Fatalf("sentence %q", sentence)
	}

	var got []string
	for _, fd := range rules.FileFindings(inspect.New(f.config(t), 1).Inspect(time.Now()), rules.DefaultThresholds(), nil) {
		if fd.Code == rules.KeyEncrypted {
			got = append(got, fd.Entry+" "+fd.Path+": "+fd.Detail)
		}
	}
	if want := "postgres certs/postgres.key: " + sentence + "; cannot check that it matches"; strings.Join(got, "\n") != want {
		t.Fatalf("check findings:\n%s\nwant %q", strings.Join(got, "\n"), want)
	}

	testcerts.WriteFile(t, f.path("certs/ca/ca.key"), legacy, 0o600)
	before := snapshot(t, f.path("certs"))
	code, out := f.run(t, Options{Force: true, NoReload: true})
	if want := "CA key certs/ca/ca.key: " + sentence + "\n"; code == ExitOK || !strings.Contains(out, want) {
		t.Fatalf("exit %d, want the refusal %q:\n%s", code, want, out)
	}
	if d := diffSnapshots(before, snapshot(t, f.path("certs"))); d != "" {
		t.Fatalf("files changed:\n%s", d)
	}
}
