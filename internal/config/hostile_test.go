package config

import (
	"strings"
	"testing"
)

// entryWith is a valid configuration whose only entry gets extra keys.
func entryWith(extra string) string {
	return "ca: {cert: ca.crt}\ncertificates:\n  - name: pg\n    cert: pg.crt\n    key: pg.key\n" + extra
}

// targetWith is a valid configuration with one target of those keys.
func targetWith(target string) string {
	return "ca: {cert: ca.crt}\ncertificates:\n  - {name: pg, cert: pg.crt}\ntargets:\n  - " + target + "\n"
}

func TestHostileConfigs(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"uid wraps to 1", entryWith("    key_owner: '4294967297:5'\n"), `certificates[0].key_owner: uid "4294967297" is not a number in 0..4294967294`},
		{"huge uid", entryWith("    key_owner: '99999999999:1'\n"), `certificates[0].key_owner: uid "99999999999" is not a number in 0..4294967294`},
		{"uid wraps to root", entryWith("    key_owner: '4294967296:0'\n"), `certificates[0].key_owner: uid "4294967296" is not a number in 0..4294967294`},
		{"uid -1 means unchanged", entryWith("    key_owner: '4294967295'\n"), `certificates[0].key_owner: uid "4294967295" is not a number in 0..4294967294`},
		{"negative ids", entryWith("    key_owner: '-1:-1'\n"), `certificates[0].key_owner: uid "-1" is not a number in 0..4294967294`},
		{"negative uid alone", entryWith("    key_owner: '-5'\n"), `certificates[0].key_owner: uid "-5" is not a number in 0..4294967294`},
		{"gid wraps", entryWith("    key_owner: '999:4294967296'\n"), `certificates[0].key_owner: gid "4294967296" is not a number in 0..4294967294`},
		{"group by name", entryWith("    key_owner: 'postgres:postgres'\n"), `certificates[0].key_owner: uid "postgres" is not a number in 0..4294967294`},
		{"port 0", targetWith("{name: db, address: 'db:0'}"), `targets[0].address: "db:0": port "0" is not a number in 1..65535`},
		{"port 70000", targetWith("{name: db, address: 'db:70000'}"), `targets[0].address: "db:70000": port "70000" is not a number in 1..65535`},
		{"named port", targetWith("{name: db, address: 'db:postgresql'}"), `targets[0].address: "db:postgresql": port "postgresql" is not a number in 1..65535`},
		{"NUL in a path", entryWith("    combined: \"pg\\0.pem\"\n"), "certificates[0].combined: holds a NUL byte (line 6)"},
		{"NUL in a pid file", renewBase + "renew:\n  services:\n    - {name: a, kind: postgres, certificates: [postgres], reload: {signal: {pid_file: \"/run/\\0pid\"}}}\n",
			"renew.services[0].reload.signal.pid_file: holds a NUL byte (line 8)"},
		{"NUL in an argv", renewBase + "renew:\n  services:\n    - {name: a, kind: postgres, certificates: [postgres], reload: {command: [\"a\\0b\"]}}\n",
			"renew.services[0].reload.command[0]: holds a NUL byte (line 8)"},
		{"negative target timeout", targetWith("name: db\n    address: db:5432\n    timeout: -5s"), `targets[0].timeout: must not be negative, got "-5s" (line 7)`},
		{"negative probe timeout", targetWith("{name: db, address: 'db:5432'}") + "probe: {timeout: -1m}\n", `probe.timeout: must not be negative, got "-1m" (line 6)`},
		{"not a duration", renewBase + "renew:\n  verify_timeout: soon\n", `renew.verify_timeout: expected a duration such as 30s, 5m or 90d, got "soon" (line 7)`},
		{"typo suggests the key", "ca: {cert: ca.crt}\ncertificates:\n  - name: pg\n    cert: b\n    key: c\n    keyfile: d\n", `certificates[0]: unknown key "keyfile" (line 6); did you mean "key"?`},
		{"case typo", entryWith("    keyOwner: postgres\n"), `certificates[0]: unknown key "keyOwner" (line 6); did you mean "key_owner"?`},
		{"far typo suggests nothing", entryWith("    colour: blue\n"), `certificates[0]: unknown key "colour" (line 6)`},
		{"key given twice", entryWith("    cert: other.crt\n"), "certificates[0].cert: is given twice (lines 4 and 6)"},
		{"number expected", renewBase + "renew: {keep_backups: many}\n", `renew.keep_backups: expected a whole number, got "many" (line 6)`},
		{"list expected", "ca: {cert: ca.crt}\ncertificates: {name: pg}\n", "certificates: expected a list, got a mapping (line 2)"},
		{"mapping expected", "ca: ca.crt\ncertificates:\n  - {name: pg, cert: a}\n", "ca: expected a mapping of keys, got a single value (line 1)"},
		{"string expected", entryWith("    expected_names: [[a]]\n"), "certificates[0].expected_names[0]: expected a string, got a list (line 6)"},
		{"unknown key in a merge", "base: &b {cert: x, keyz: y}\n", `unknown key "base" (line 1)`},
		{"reload DSN port", renewBase + "renew:\n  services:\n    - {name: a, kind: postgres, certificates: [postgres], reload: {sql: {dsn: 'host=db port=70000'}}}\n",
			"renew.services[0].reload.sql.dsn: does not parse: invalid port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { requireParseError(t, tc.yaml, tc.want) })
	}
}

func TestHostileConfigsThatAreValid(t *testing.T) {
	for name, y := range map[string]string{
		"largest ids":     entryWith("    key_owner: '4294967294:4294967294'\n"),
		"user name":       entryWith("    key_owner: postgres\n"),
		"bare uid":        entryWith("    key_owner: '999'\n"),
		"port 65535":      targetWith("{name: db, address: 'db:65535'}"),
		"merged mappings": "ca: {cert: ca.crt}\ncertificates:\n  - &pg {name: pg, cert: pg.crt}\n  - {<<: *pg, name: pg2, cert: pg2.crt}\n",
		"empty timeout":   targetWith("{name: db, address: 'db:1', timeout: }"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(y), "/x"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseNumericOwner(t *testing.T) {
	tests := []struct {
		in     string
		want   NumericOwner
		ok     bool
		errMsg string
	}{
		{"postgres", NumericOwner{}, false, ""},
		{"1abc", NumericOwner{}, false, ""},
		{"0", NumericOwner{UID: 0}, true, ""},
		{"999:998", NumericOwner{UID: 999, GID: 998, HasGID: true}, true, ""},
		{"4294967294:0", NumericOwner{UID: 4294967294, HasGID: true}, true, ""},
		{"4294967297:5", NumericOwner{}, true, `uid "4294967297" is not a number in 0..4294967294`},
		{"+5", NumericOwner{}, true, `uid "+5" is not a number in 0..4294967294`},
		{"5:", NumericOwner{}, true, `gid "" is not a number in 0..4294967294`},
		{"5: 6", NumericOwner{}, true, `gid " 6" is not a number in 0..4294967294`},
	}
	for _, tc := range tests {
		got, ok, err := ParseNumericOwner(tc.in)
		if got != tc.want || ok != tc.ok || (err == nil) != (tc.errMsg == "") || (err != nil && err.Error() != tc.errMsg) {
			t.Errorf("ParseNumericOwner(%q) = %+v, %v, %v; want %+v, %v, %q", tc.in, got, ok, err, tc.want, tc.ok, tc.errMsg)
		}
	}
}

func TestAliasBombIsBounded(t *testing.T) {
	names := "[" + strings.TrimSuffix(strings.Repeat("n, ", 1000), ", ") + "]"
	y := "x:\n  a: &a " + names + "\n  b: &b {name: pg, cert: pg.crt, expected_names: *a}\n" +
		"ca: {cert: ca.crt}\ncertificates: [" + strings.TrimSuffix(strings.Repeat("*b, ", 200), ", ") + "]\n"
	_, err := Parse([]byte(y), "/x")
	if err == nil || !strings.Contains(err.Error(), ": too many values once aliases are expanded (line 2)") {
		t.Fatalf("err = %v", err)
	}
}
