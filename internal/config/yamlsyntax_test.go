package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestSyntaxErrorLines: a YAML syntax error names the config file and the
// line to fix, where yaml.v3 names the line an enclosing mapping or list
// starts on, or the line before.
func TestSyntaxErrorLines(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"tab indentation", "certificates:\n  - name: pg\n    cert: a\n\tkey: b\n",
			"parse YAML: line 4: found a tab character that violates indentation; indent with spaces"},
		{"key indented less than its mapping", "x: 1\ny: 2\nca:\n    cert: a\n  key: b\ncertificates: []\n",
			"parse YAML: line 5: did not find expected key"},
		{"key indented less than its list entry", "certificates:\n  - name: pg\n    cert: a\n   key: b\n",
			"parse YAML: line 4: did not find expected '-' indicator"},
		{"key at the list's indentation", "targets:\n  - name: a\n    address: b\n  name: c\n",
			"parse YAML: line 4: did not find expected '-' indicator"},
		{"list entry in a mapping", "ca:\n  cert: a\n  - b\n",
			"parse YAML: line 3: did not find expected key"},
		{"stray bracket", "ca:\n  cert: a\n  key: ]\n",
			"parse YAML: line 3: did not find expected node content"},
		{"missing colon", "certificates:\n  - name: pg\n    cert: a\n    key b\n    combined: c\n",
			"parse YAML: line 4: could not find expected ':'"},
		{"unclosed quote", "ca:\n  cert: \"a\n  key: b\ncertificates: []\n",
			"parse YAML: line 2: found unexpected end of stream"},
		{"unclosed flow mapping", "ca: {cert: a\ncertificates: []\nx: y\n",
			"parse YAML: line 1: did not find expected ',' or '}'"},
		{"key indented too far", "ca:\n  cert: a\n   key: b\ncertificates: []\n",
			"parse YAML: line 3: mapping values are not allowed in this context"},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "pgtls.yml")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			want := "config file " + path + ": " + tc.want
			if err == nil || err.Error() != want {
				t.Fatalf("error:\n%v\nwant:\n%s", err, want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%v is no *SyntaxError", err)
			}
		})
	}
}
