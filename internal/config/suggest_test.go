package config

import "testing"

// TestIndentationHints: an unknown key that belongs one level down or one
// level up says so, instead of suggesting a look-alike key.
func TestIndentationHints(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"lost its indentation under ca", "ca:\ncert: ca.crt\ncertificates: [{name: pg, cert: a}]\n",
			`unknown key "cert" (line 2): "cert" is a key of "ca"; is it indented under it?`},
		{"lost its indentation under a list", "certificates:\n  - name: pg\n    cert: a\nkey: b\n",
			`unknown key "key" (line 4): "key" is a key of "certificates"; is it indented under it?`},
		{"nested key under its section", "certificates: [{name: pg, cert: a}]\nrenew:\n  ca:\n    validity: 3650d\n  common_name: x\n",
			`renew: unknown key "common_name" (line 5): "common_name" is a key of "renew.ca"; is it indented under it?`},
		{"top-level key indented too far", "certificates:\n  - name: pg\n    cert: a\n    targets: []\n",
			`certificates[0]: unknown key "targets" (line 4): "targets" is a top-level key; is it indented too far?`},
		{"section key indented too far", "certificates: [{name: pg, cert: a}]\nrenew:\n  ca:\n    common_name: x\n    renew_before: 3d\n",
			`renew.ca: unknown key "renew_before" (line 5): "renew_before" is a key of "renew"; is it indented too far?`},
		{"typo still suggests", "certificates: [{name: pg, cert: a}]\nrenew: {renew_befor: 3d}\n",
			`renew: unknown key "renew_befor" (line 2); did you mean "renew_before"?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "/x")
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}
