package pghba

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// mapFS is an FS over files in memory.
type mapFS map[string]string

func (m mapFS) ReadFile(path string) ([]byte, error) {
	if s, ok := m[path]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
}

func (m mapFS) ReadDir(path string) ([]string, error) {
	var names []string
	found := false
	for p := range m {
		if filepath.Dir(p) == path {
			names = append(names, filepath.Base(p))
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
	}
	return names, nil
}

// show renders rules one a line: where, type, databases, users, address,
// netmask, method, options, error.
func show(rules []Rule) []string {
	var out []string
	for _, r := range rules {
		s := fmt.Sprintf("%s %s %s %s %s %s %s %s", r.Where(), r.Type, strings.Join(r.Databases, ","), strings.Join(r.Users, ","),
			r.Address, r.Netmask, r.Method, strings.Join(r.Options, ","))
		if r.Error != "" {
			s += " ERROR " + r.Error
		}
		out = append(out, strings.Join(strings.Fields(s), " "))
	}
	return out
}

func TestParse(t *testing.T) {
	files := mapFS{
		"/etc/pg/pg_hba.conf": `# comment line
local   all  all                 trust   # trailing comment
hostssl all  app,"All" 10.0.0.0/8  scram-sha-256 clientcert=verify-full
host    "db one",db2 +admins 192.168.1.0 255.255.255.0 md5
hostnossl all @users.txt samenet \
          password
include_if_exists missing.conf
include extra.conf
include_dir conf.d
host all all 0.0.0.0/0 reject
`,
		"/etc/pg/users.txt":       "alice, bob\n# nobody\ncarol\n",
		"/etc/pg/extra.conf":      "hostgssenc all all ::1/128 gss\n",
		"/etc/pg/conf.d/b.conf":   "host all all db.example.com trust\n",
		"/etc/pg/conf.d/a.conf":   "hostnogssenc all all all ident\n",
		"/etc/pg/conf.d/.x.conf":  "host all all all trust\n",
		"/etc/pg/conf.d/c.txt":    "host all all all trust\n",
		"/etc/pg/conf.d/d.conf.1": "host all all all trust\n",
	}
	rules, err := Parse(files, "/etc/pg/pg_hba.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/etc/pg/pg_hba.conf:2 local all all trust",
		"/etc/pg/pg_hba.conf:3 hostssl all app,All 10.0.0.0/8 scram-sha-256 clientcert=verify-full",
		"/etc/pg/pg_hba.conf:4 host db one,db2 +admins 192.168.1.0 255.255.255.0 md5",
		"/etc/pg/pg_hba.conf:5 hostnossl all alice,bob,carol samenet password",
		"/etc/pg/extra.conf:1 hostgssenc all all ::1/128 gss",
		"/etc/pg/conf.d/a.conf:1 hostnogssenc all all all ident",
		"/etc/pg/conf.d/b.conf:1 host all all db.example.com trust",
		"/etc/pg/pg_hba.conf:10 host all all 0.0.0.0/0 reject",
	}
	if got := show(rules); !slices.Equal(got, want) {
		t.Fatalf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v, ok := rules[1].Option("clientcert"); !ok || v != "verify-full" {
		t.Errorf("Option(clientcert) = %q, %v", v, ok)
	}
	if rules[0].TCP() || !rules[1].TCP() {
		t.Error("TCP: local is not, hostssl is")
	}
}

// TestParseErrors: every record PostgreSQL refuses comes back with its
// line number and PostgreSQL's message.
func TestParseErrors(t *testing.T) {
	lines := []string{
		`hostx all all all trust`,
		`host,local all all all trust`,
		`host`,
		`host all`,
		`host all all`,
		`host all all 10.0.0.0/8,10.1.0.0/16 md5`,
		`host all all db.example.com/24 md5`,
		`host all all 10.0.0.0/33 md5`,
		`host all all 10.0.0.0/x md5`,
		`host all all 10.0.0.1`,
		`host all all 10.0.0.1 255.0.0.0,255.255.0.0 md5`,
		`host all all 10.0.0.1 mask md5`,
		`host all all 10.0.0.1 ffff:: md5`,
		`host all all all`,
		`host all all all md5,trust`,
		`host all all all scram`,
		`local all all gss`,
		`host all all all peer`,
		`host all all all cert`,
		`hostssl all all all md5 clientcert`,
		`hostssl all all all md5 nosuch=1`,
		`hostssl all all all md5 map=x`,
		`host all all all md5 clientcert=verify-full`,
		`hostssl all all all cert clientcert=verify-ca`,
		`hostssl all all all md5 clientcert=yes`,
		`hostssl all all all md5 clientname=UID`,
		`include`,
		`include nothere.conf`,
		`include_dir nodir`,
		`host all @nothere all md5`,
	}
	rules, err := Parse(mapFS{"/d/pg_hba.conf": strings.Join(lines, "\n")}, "/d/pg_hba.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`invalid connection type "hostx"`,
		"multiple values specified for connection type",
		"end-of-line before database specification",
		"end-of-line before role specification",
		"end-of-line before IP address specification",
		"multiple values specified for host address",
		`specifying both host name and CIDR mask is invalid: "db.example.com/24"`,
		`invalid CIDR mask in address "10.0.0.0/33"`,
		`invalid CIDR mask in address "10.0.0.0/x"`,
		"end-of-line before netmask specification",
		"multiple values specified for netmask",
		`invalid IP mask "mask": Name or service not known`,
		"IP address and mask do not match",
		"end-of-line before authentication method",
		"multiple values specified for authentication type",
		`invalid authentication method "scram"`,
		"gssapi authentication is not supported on local sockets",
		"peer authentication is only supported on local sockets",
		"cert authentication is only supported on hostssl connections",
		"authentication option not in name=value format: clientcert",
		`unrecognized authentication option name: "nosuch"`,
		`authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, and cert`,
		`clientcert can only be configured for "hostssl" rows`,
		`clientcert can only be set to "verify-full" when using "cert" authentication`,
		`invalid value for clientcert: "yes"`,
		`invalid value for clientname: "UID"`,
		`invalid connection type "include"`,
		`could not open file "/d/nothere.conf": No such file or directory`,
		`could not open directory "/d/nodir"`,
		`could not open file "/d/nothere": No such file or directory`,
	}
	if len(rules) != len(want) {
		t.Fatalf("%d rules for %d lines:\n%s", len(rules), len(want), strings.Join(show(rules), "\n"))
	}
	for i, r := range rules {
		if r.Line != i+1 || r.Error != want[i] {
			t.Errorf("line %d: got line %d error %q, want %q", i+1, r.Line, r.Error, want[i])
		}
	}
}

// TestTokens follows PostgreSQL's lexer: quotes keep blanks, commas and
// "#", "" is a quote, a quoted "@x" is no inclusion, a backslash joins the
// next line (whose number is then skipped), a NUL ends the text.
func TestTokens(t *testing.T) {
	files := mapFS{"/a/hba": "host \"a b\",\"c#d\",\"e\"\"f\" \"@x\" all md5\n" +
		"host all all \\\n" +
		"  all \\\n" +
		"  md5\n" +
		"host all all all md5 \x00 garbage\r\n" +
		"host all all all \\\n" +
		"\n" +
		"host all all all\\"}
	rules, err := Parse(files, "/a/hba")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`/a/hba:1 host a b,c#d,e"f @x all md5`,
		"/a/hba:2 host all all all md5",
		"/a/hba:5 host all all all md5",
		"/a/hba:6 host all all all ERROR end-of-line before authentication method",
		"/a/hba:8 host all all all ERROR end-of-line before authentication method",
	}
	if got := show(rules); !slices.Equal(got, want) {
		t.Fatalf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseLimits(t *testing.T) {
	// A file that includes itself stops at the nesting limit, on its own line.
	rules, err := Parse(mapFS{"/l/hba": "include hba\n"}, "/l/hba")
	if err != nil || len(rules) != 1 || rules[0].Error != `could not open file "/l/hba": maximum nesting depth exceeded` {
		t.Fatalf("self-include: %v %v", show(rules), err)
	}
	// @files read again and again are bounded by MaxInput.
	big := strings.Repeat("x", 1<<20)
	line := "host all @big all md5\n"
	_, err = Parse(mapFS{"/l/hba": strings.Repeat(line, 20), "/l/big": big}, "/l/hba")
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("20 MiB through @big: %v", err)
	}
	if _, err := Parse(mapFS{}, "/l/none"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// FuzzParse: any pg_hba.conf, with any included files, parses without a
// panic, within the input bound, into rules that each name a line of a
// file that was read.
func FuzzParse(f *testing.F) {
	f.Add("local all all trust\nhost all all 0.0.0.0/0 md5\n", "alice\n")
	f.Add("host \"a\"\"b\" @inc all md5 \\\n clientcert=verify-full\ninclude inc\ninclude_dir .\n", "host all all all trust\n")
	f.Add("hostssl all all 10.0.0.1 255.0.0.0 cert map=x # c\n", "@inc\n")
	f.Fuzz(func(t *testing.T, main, inc string) {
		files := mapFS{"/f/pg_hba.conf": main, "/f/inc": inc, "/f/x.conf": inc}
		rules, err := Parse(files, "/f/pg_hba.conf")
		if err != nil {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, r := range rules {
			if _, ok := files[r.File]; !ok || r.Line < 1 {
				t.Fatalf("rule at %s", r.Where())
			}
			if r.Error == "" && (r.Type == "" || r.Method == "" || r.Databases == nil || r.Users == nil) {
				t.Fatalf("rule without error lacks fields: %+v", r)
			}
		}
		if !reflect.DeepEqual(rules, mustParse(t, files)) {
			t.Fatal("parsing twice gave different rules")
		}
	})
}

func mustParse(t *testing.T, files mapFS) []Rule {
	t.Helper()
	rules, err := Parse(files, "/f/pg_hba.conf")
	if err != nil {
		t.Fatal(err)
	}
	return rules
}
