package check

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

var defaultThresholds = Thresholds{WarnBefore: 30 * 24 * time.Hour, CritBefore: 7 * 24 * time.Hour}

// writeSet writes a CA and one entry whose certificate expires in validFor,
// and returns the config path.
func writeSet(t *testing.T, validFor time.Duration, keyMode os.FileMode, extraYAML string) (string, testcerts.EntryFiles) {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	ca := testcerts.CA(t, "Check CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	files := testcerts.WriteEntry(t, dir, "pg", ca, testcerts.Options{DNSNames: []string{"postgres"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(validFor)}, keyMode)
	testcerts.WriteFile(t, filepath.Join(dir, "other.crt"), files.Issued.CertPEM, 0o644)
	cfgPath := testcerts.WriteFile(t, filepath.Join(dir, "config.yml"), []byte(`
ca: {cert: ca.crt}
certificates:
  - name: pg
    cert: pg.crt
    key: pg.key
    expected_names: [postgres]
`+extraYAML), 0o644)
	return cfgPath, files
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		validFor time.Duration
		keyMode  os.FileMode
		extra    string
		want     int
	}{
		{"healthy", 90 * 24 * time.Hour, 0o600, "", 0},
		{"expires in 20 days", 20 * 24 * time.Hour, 0o600, "", 1},
		{"expires in 3 days", 3 * 24 * time.Hour, 0o600, "", 2},
		{"0644 key without key_owner", 90 * 24 * time.Hour, 0o644, "", 1},
		{"0644 key for postgres", 90 * 24 * time.Hour, 0o644, "    key_owner: postgres\n", 2},
		{"missing SAN", 90 * 24 * time.Hour, 0o600, "    combined: pg-combined.pem\n  - {name: other, cert: other.crt, expected_names: [db]}\n", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := writeSet(t, tc.validFor, tc.keyMode, tc.extra)
			var out bytes.Buffer
			if got := Run(context.Background(), &out, Options{ConfigFile: cfg, Thresholds: defaultThresholds}); got != tc.want {
				t.Fatalf("exit %d, want %d\n%s", got, tc.want, out.String())
			}
		})
	}
}

func TestBadConfigIsUnknown(t *testing.T) {
	var out bytes.Buffer
	code := Run(context.Background(), &out, Options{ConfigFile: filepath.Join(t.TempDir(), "none.yml"), Output: "json", Thresholds: defaultThresholds})
	if code != 3 {
		t.Fatalf("exit %d", code)
	}
	var res struct {
		Status   string
		ExitCode int `json:"exit_code"`
		Findings []Finding
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != "UNKNOWN" || res.ExitCode != 3 || len(res.Findings) != 1 || !strings.Contains(res.Findings[0].Detail, "none.yml: no such file") {
		t.Fatalf("%+v", res)
	}
}

func TestTextReport(t *testing.T) {
	cfg, files := writeSet(t, 3*24*time.Hour, 0o644, "    key_owner: postgres\n")
	var out bytes.Buffer
	now := time.Now()
	Run(context.Background(), &out, Options{ConfigFile: cfg, Thresholds: defaultThresholds, Now: now})
	serial := certs.Serial(files.Issued.Cert)
	wantLines := []string{
		"ENTRY  CHECK            STATUS    PATH    DETAIL",
		"pg     file             OK        pg.crt  cert file read: 1 certificate",
		"pg     expiry           CRITICAL  pg.crt  serial " + serial + " expires " + files.Issued.Cert.NotAfter.UTC().Format(time.RFC3339) + " (in 2 days)",
		"pg     file             OK        pg.key  key file read: ECDSA P-256 (PKCS#8) key",
		"pg     san              OK        pg.crt  covers postgres",
		"pg     verify           OK        pg.crt  chains to the configured CA",
		"pg     key-match        OK        pg.key  key matches the certificate",
		"pg     key-permissions  CRITICAL  pg.key  root:root 0644: PostgreSQL (running as postgres) refuses it: has group or world access; File must have permissions u=rw,g=r (0640) or less if owned by root",
		"CRITICAL: 2 critical, 0 warning, 0 unknown, 8 ok",
	}
	text := out.String()
	for _, l := range wantLines {
		if !strings.Contains(text, l+"\n") {
			t.Errorf("report lacks line %q\n%s", l, text)
		}
	}
}

func TestJSONReport(t *testing.T) {
	cfg, _ := writeSet(t, 20*24*time.Hour, 0o600, "")
	var out bytes.Buffer
	if code := Run(context.Background(), &out, Options{ConfigFile: cfg, Thresholds: defaultThresholds, Output: "json"}); code != 1 {
		t.Fatalf("exit %d", code)
	}
	var raw map[string]any
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["status"] != "WARNING" || raw["exit_code"] != float64(1) {
		t.Fatalf("%v", raw)
	}
	findings := raw["findings"].([]any)
	first := findings[0].(map[string]any)
	if first["entry"] != "ca" || first["check"] != "file" || first["status"] != "OK" || first["path"] != "ca.crt" {
		t.Fatalf("first finding %v", first)
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Status != Warning {
		t.Fatalf("round trip: %v %v", res.Status, err)
	}
}

func TestSummarizeOrder(t *testing.T) {
	cases := []struct {
		in   []Status
		want Status
	}{
		{nil, OK},
		{[]Status{OK, Unknown}, Unknown},
		{[]Status{Unknown, Warning}, Warning},
		{[]Status{Warning, Critical, Unknown}, Critical},
	}
	for _, tc := range cases {
		var fs []Finding
		for _, s := range tc.in {
			fs = append(fs, Finding{Status: s})
		}
		if got := Summarize(fs); got.Status != tc.want || got.ExitCode != int(tc.want) {
			t.Errorf("%v: got %v", tc.in, got.Status)
		}
	}
}
