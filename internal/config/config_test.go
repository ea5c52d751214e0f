package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validYAML = `
ca: {cert: certs/ca/ca.crt}
certificates:
  - name: pg
    cert: certs/pg.crt
`

func TestExampleConfigLoads(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "config.example.yml"))
	if err != nil {
		t.Fatalf("config.example.yml: %v", err)
	}
	if len(cfg.Certificates) != 2 || cfg.Certificates[0].Name != "pgbouncer" || cfg.Certificates[1].KeyOwner != "postgres" {
		t.Fatalf("unexpected entries: %+v", cfg.Certificates)
	}
	want := []string{"postgres", "db", "localhost", "127.0.0.1"}
	if strings.Join(cfg.Certificates[1].ExpectedNames, ",") != strings.Join(want, ",") {
		t.Fatalf("postgres names = %v", cfg.Certificates[1].ExpectedNames)
	}
	abs, _ := filepath.Abs(filepath.Join("..", "..", "certs", "ca", "ca.crt"))
	if got := cfg.Resolve(cfg.CA.Cert); got != abs {
		t.Fatalf("Resolve = %q, want %q", got, abs)
	}
}

func TestResolve(t *testing.T) {
	cfg, err := Parse([]byte(validYAML), "/etc/pgtls")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Resolve("certs/x.crt"); got != "/etc/pgtls/certs/x.crt" {
		t.Errorf("relative: %q", got)
	}
	if got := cfg.Resolve("/abs/x.crt"); got != "/abs/x.crt" {
		t.Errorf("absolute: %q", got)
	}
	if e, ok := cfg.CertificateByName("pg"); !ok || e.Cert != "certs/pg.crt" {
		t.Errorf("CertificateByName: %+v %v", e, ok)
	}
}

func TestInvalidConfigs(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "config is empty"},
		{"not YAML", "ca: [", "parse YAML: line 1: did not find expected node content"},
		{"unknown top-level key", validYAML + "bogus: 1\n", `unknown key "bogus" (line 6)`},
		{"unknown entry key", "ca: {cert: ca.crt}\ncertificates:\n  - name: pg\n    cert: b\n    kye: c\n", `certificates[0]: unknown key "kye" (line 5); did you mean "key"?`},
		{"two documents", validYAML + "---\nca: {cert: x}\n", "parse YAML: more than one document"},
		{"CA key without its certificate", "ca: {key: ca.key}\ncertificates:\n  - {name: pg, cert: a}\n", "ca.cert: is required when ca.key is set"},
		{"nothing to watch", "ca: {cert: ca.crt}\n", "certificates: nothing to watch: configure certificates, targets, sessions or audit.files"},
		{"missing name", "ca: {cert: ca.crt}\ncertificates:\n  - {cert: a}\n", "certificates[0].name: is required"},
		{"reserved name", "ca: {cert: ca.crt}\ncertificates:\n  - {name: ca, cert: a}\n", `certificates[0].name: "ca" is reserved for the CA`},
		{"bad name", "ca: {cert: ca.crt}\ncertificates:\n  - {name: 'a b', cert: a}\n", `certificates[0].name: "a b" may hold only letters, digits, '_', '.' and '-'`},
		{"duplicate name", "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg, cert: a}\n  - {name: pg, cert: b}\n", `certificates[1].name: "pg" is already used by certificates[0]`},
		{"missing cert", "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg}\n", "certificates[0].cert: is required"},
		{"bad expected name", "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg, cert: a, expected_names: [ok, 'http://x']}\n", `certificates[0].expected_names[1]: "http://x" is neither a DNS name nor an IP address`},
		{"empty expected name", "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg, cert: a, expected_names: ['']}\n", "certificates[0].expected_names[0]: is empty"},
		{"key_owner without key", "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg, cert: a, key_owner: postgres}\n", "certificates[0].key_owner: is set but the entry has no key or combined file"},
		{"key is cert", "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg, cert: a, key: ./a}\n", "certificates[0].key: ./a is the same file as certificates[0].cert"},
		{"combined is key", "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg, cert: a, key: k, combined: k}\n", "certificates[0].combined: k is the same file as certificates[0].key"},
		{"key is the CA key", "ca: {cert: ca/ca.crt, key: ca/ca.key}\ncertificates:\n  - {name: pg, cert: a, key: ./ca/../ca/ca.key}\n", "certificates[0].key: ./ca/../ca/ca.key is the same file as ca.key"},
		{"cert is the CA cert", "ca: {cert: /x/ca.crt}\ncertificates:\n  - {name: pg, cert: ca.crt}\n", "certificates[0].cert: ca.crt is the same file as ca.cert"},
		{"two entries share a file", "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg, cert: pg.crt, key: pg.key}\n  - {name: pg2, cert: pg2.crt, key: pg.key}\n", "certificates[1].key: pg.key is the same file as certificates[0].key"},
		{"duplicate expected name", "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg, cert: a, expected_names: [db, DB]}\n", `certificates[0].expected_names[1]: "DB" is already expected_names[0]`},
		{"two problems", "certificates:\n  - {name: pg}\n  - {name: pg, cert: b}\n", "certificates[0].cert: is required\ncertificates[1].name: \"pg\" is already used by certificates[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { requireParseError(t, tc.yaml, tc.want) })
	}
}

// requireParseError parses y and requires exactly the error want.
func requireParseError(t *testing.T, y, want string) {
	t.Helper()
	_, err := Parse([]byte(y), "/x")
	if err == nil {
		t.Fatal("no error")
	}
	if err.Error() != want {
		t.Fatalf("error:\n%s\nwant:\n%s", err, want)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.yml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yml") {
		t.Fatalf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("ca: {cert: ca.crt}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	if err == nil || err.Error() != "config file "+bad+": certificates: nothing to watch: configure certificates, targets, sessions or audit.files" {
		t.Fatalf("invalid file: %v", err)
	}
}

// FuzzParse: any bytes give a config or an error, never a panic, and a
// returned config is valid.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{string(example), validYAML, "", "ca: [", "ca: {cert: ca.crt}\ncertificates: [{name: x, cert: y, expected_names: [1.2.3.4]}]", "&a [*a]"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "/base")
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse returned an invalid config: %v", err)
		}
	})
}

func TestSecurityLevel(t *testing.T) {
	cfg, err := Parse([]byte("targets: [{name: db, address: \"db:5432\"}]\n"), t.TempDir())
	if err != nil || cfg.SecurityLevel() != 2 {
		t.Fatalf("default: %v, %v", cfg, err)
	}
	cfg, err = Parse([]byte("verify: {security_level: 1}\ntargets: [{name: db, address: \"db:5432\"}]\n"), t.TempDir())
	if err != nil || cfg.SecurityLevel() != 1 {
		t.Fatalf("level 1: %v", err)
	}
	_, err = Parse([]byte("verify: {security_level: 6}\ntargets: [{name: db, address: \"db:5432\"}]\n"), t.TempDir())
	if err == nil || err.Error() != "verify.security_level: must be an OpenSSL security level from 0 to 5, got 6" {
		t.Fatalf("level 6: %v", err)
	}
}
