package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

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
			if got := Run(context.Background(), &out, Options{ConfigFile: cfg}); got != tc.want {
				t.Fatalf("exit %d, want %d\n%s", got, tc.want, out.String())
			}
		})
	}
}

func TestBadConfigIsUnknown(t *testing.T) {
	var out bytes.Buffer
	code := Run(context.Background(), &out, Options{ConfigFile: filepath.Join(t.TempDir(), "none.yml"), Output: "json"})
	if code != 3 {
		t.Fatalf("exit %d", code)
	}
	var res struct {
		Status   string
		ExitCode int `json:"exit_code"`
		Findings []rules.Finding
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != "UNKNOWN" || res.ExitCode != 3 || len(res.Findings) != 1 || res.Findings[0].Code != rules.ConfigInvalid ||
		!strings.Contains(res.Findings[0].Detail, "none.yml: no such file") {
		t.Fatalf("%+v", res)
	}
}

func TestTextReport(t *testing.T) {
	cfg, files := writeSet(t, 3*24*time.Hour, 0o644, "    key_owner: postgres\n")
	var out bytes.Buffer
	now := time.Now()
	Run(context.Background(), &out, Options{ConfigFile: cfg, Now: now})
	serial := certs.Serial(files.Issued.Cert)
	notAfter := files.Issued.Cert.NotAfter
	days := float64(int64(notAfter.Sub(now).Hours()/24*10)) / 10
	status := fmt.Sprintf("PGTLS CRITICAL - 2 critical, 0 warning, 0 unknown, 8 ok | ca_days_left=%s;90:;30: pg_days_left=%s;30:;7:",
		strconv.FormatFloat(float64(int64(caNotAfter(t, cfg).Sub(now).Hours()/24*10))/10, 'f', -1, 64), strconv.FormatFloat(days, 'f', -1, 64))
	wantLines := []string{
		"ENTRY  CHECK            STATUS    CODE               PATH    DETAIL",
		"pg     file             OK        -                  pg.crt  cert file read: 1 certificate",
		"pg     expiry           CRITICAL  expires_very_soon  pg.crt  serial " + serial + " expires " + notAfter.UTC().Format(time.RFC3339) + " (in 2 days)",
		"pg     file             OK        -                  pg.key  key file read: ECDSA P-256 (PKCS#8) key",
		"pg     san              OK        -                  pg.crt  covers postgres",
		"pg     verify           OK        -                  pg.crt  chains to the configured CA as libpq verifies it (OpenSSL security level 2)",
		"pg     key-match        OK        -                  pg.key  key matches the certificate",
		"pg     key-permissions  CRITICAL  key_mode_refused   pg.key  root:root 0644: PostgreSQL (running as postgres) refuses it: has group or world access; File must have permissions u=rw,g=r (0640) or less if owned by root",
	}
	text := out.String()
	if first, _, _ := strings.Cut(text, "\n"); first != status {
		t.Errorf("status line\n%s\nwant\n%s", first, status)
	}
	for _, l := range wantLines {
		if !strings.Contains(text, l+"\n") {
			t.Errorf("report lacks line %q\n%s", l, text)
		}
	}
}

// caNotAfter is the expiry of the CA that cfg names.
func caNotAfter(t *testing.T, cfgPath string) time.Time {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(cfgPath), "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := certs.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	return b.Certificates[0].NotAfter
}

func TestJSONReport(t *testing.T) {
	cfg, _ := writeSet(t, 20*24*time.Hour, 0o600, "")
	var out bytes.Buffer
	if code := Run(context.Background(), &out, Options{ConfigFile: cfg, Output: "json"}); code != 1 {
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
	if first["source"] != "files" || first["entry"] != "ca" || first["check"] != "file" || first["status"] != "OK" || first["path"] != "ca.crt" {
		t.Fatalf("first finding %v", first)
	}
	var res rules.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Status != rules.Warning {
		t.Fatalf("round trip: %v %v", res.Status, err)
	}
	var codes []rules.Code
	for _, f := range res.Findings {
		if f.Problem() {
			codes = append(codes, f.Code)
		}
	}
	if len(codes) != 1 || codes[0] != rules.ExpiresSoon || len(res.Perf) != 2 || res.Perf[1].Label != "pg_days_left" {
		t.Fatalf("codes %v, perfdata %+v", codes, res.Perf)
	}
}

// nagiosStatus is the plugin guidelines' status line: service, status,
// text, and after "|" performance data, 'label'=value[UOM];[warn];[crit].
var nagiosStatus = regexp.MustCompile(`^PGTLS (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+ \| ` +
	`([A-Za-z0-9_.-]+=-?[0-9.]+;[0-9.]+:;[0-9.]+: ?)+$`)

// TestStatusLineIsNagios parses check's first line as a Nagios plugin
// status line with performance data, for each outcome.
func TestStatusLineIsNagios(t *testing.T) {
	for _, tc := range []struct {
		validFor time.Duration
		status   string
	}{{90 * 24 * time.Hour, "OK"}, {20 * 24 * time.Hour, "WARNING"}, {3 * 24 * time.Hour, "CRITICAL"}} {
		cfg, _ := writeSet(t, tc.validFor, 0o600, "")
		var out bytes.Buffer
		Run(context.Background(), &out, Options{ConfigFile: cfg})
		first, _, _ := strings.Cut(out.String(), "\n")
		m := nagiosStatus.FindStringSubmatch(first)
		if m == nil || m[1] != tc.status || !strings.Contains(first, " pg_days_left=") || !strings.Contains(first, " | ca_days_left=") {
			t.Errorf("valid for %v: status line %q is not a Nagios %s line with perfdata", tc.validFor, first, tc.status)
		}
	}
}
