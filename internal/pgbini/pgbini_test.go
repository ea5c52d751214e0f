package pgbini

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func reader(files map[string]string) ReadFunc {
	return func(path string) ([]byte, error) {
		if s, ok := files[path]; ok {
			return []byte(s), nil
		}
		return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
	}
}

func show(settings map[string]Setting) []string {
	var out []string
	for k, s := range settings {
		out = append(out, fmt.Sprintf("%s=%q @%s", k, s.Value, s.Where()))
	}
	slices.Sort(out)
	return out
}

func TestParse(t *testing.T) {
	files := map[string]string{
		"/etc/pgbouncer/pgbouncer.ini": `;; PgBouncer
[databases]
* = host=db port=5432

[pgbouncer]
listen_port = 6432
  auth_type=md5
client_tls_sslmode =   prefer   
# a comment = not a key
'client_tls_protocols' = all ; no inline comments in PgBouncer
%include tls.ini
[users]
app = pool_mode=session
`,
		"/etc/pgbouncer/tls.ini": "[pgbouncer]\nserver_tls_sslmode = verify-ca\r\n%include /abs/more.ini\n",
		"/abs/more.ini":          "auth_type = scram-sha-256\n",
	}
	got, err := Parse(reader(files), "/etc/pgbouncer/pgbouncer.ini")
	if err != nil {
		t.Fatal(err)
	}
	// The second [pgbouncer] header (in tls.ini) starts the section over, as
	// PgBouncer sets every key to its default there.
	want := []string{
		`auth_type="scram-sha-256" @/abs/more.ini:1`,
		`server_tls_sslmode="verify-ca" @/etc/pgbouncer/tls.ini:2`,
	}
	if s := show(got); !slices.Equal(s, want) {
		t.Fatalf("settings:\n%s\nwant:\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}

	files["/etc/pgbouncer/tls.ini"] = "server_tls_sslmode = verify-ca\r\n"
	got, err = Parse(reader(files), "/etc/pgbouncer/pgbouncer.ini")
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		`auth_type="md5" @/etc/pgbouncer/pgbouncer.ini:7`,
		`client_tls_protocols="all ; no inline comments in PgBouncer" @/etc/pgbouncer/pgbouncer.ini:10`,
		`client_tls_sslmode="prefer" @/etc/pgbouncer/pgbouncer.ini:8`,
		`listen_port="6432" @/etc/pgbouncer/pgbouncer.ini:6`,
		`server_tls_sslmode="verify-ca" @/etc/pgbouncer/tls.ini:1`,
	}
	if s := show(got); !slices.Equal(s, want) {
		t.Fatalf("settings:\n%s\nwant:\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
}

// TestParseErrors: a file PgBouncer refuses to load gives the file and
// line where it stops.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, ini, want string }{
		{"no equals", "[pgbouncer]\nlisten_port 6432\n", "/p/a.ini:2: syntax error in configuration"},
		{"open section", "[pgbouncer\nx = 1\n", "/p/a.ini:1: syntax error in configuration"},
		{"unknown section", "[pgbouncer]\n[pgpool]\n", `/p/a.ini:2: invalid section "pgpool" in configuration`},
		{"value before section", "x = 1\n[pgbouncer]\n", "/p/a.ini:1: value without section: x"},
		{"open quote", "[pgbouncer]\n'x = 1\n", "/p/a.ini:2: syntax error in configuration"},
		{"empty quoted key", "[pgbouncer]\n'' = 1\n", "/p/a.ini:2: syntax error in configuration"},
		{"include without file", "[pgbouncer]\n%include\n", "/p/a.ini:2: syntax error in configuration"},
		{"missing include", "[pgbouncer]\n\n%include none.ini\n",
			"/p/a.ini:3: error processing include file /p/none.ini: could not load file: open /p/none.ini: file does not exist"},
		{"error inside include", "[pgbouncer]\n%include bad.ini\n", "/p/bad.ini:2: syntax error in configuration"},
		{"self include", "[pgbouncer]\n%include a.ini\n", "/p/a.ini:2: include nesting level too deep"},
		{"no main section", "[databases]\n* = host=db\n", "/p/a.ini: main section [pgbouncer] missing from config file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(reader(map[string]string{"/p/a.ini": tc.ini, "/p/bad.ini": "a = 1\nb\n"}), "/p/a.ini")
			var pe *Error
			if !errors.As(err, &pe) || err.Error() != tc.want {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// FuzzParse: any pgbouncer.ini, with any included file, parses without a
// panic into settings that name a line of a file that was read, or into
// an *Error naming one.
func FuzzParse(f *testing.F) {
	f.Add("[pgbouncer]\nclient_tls_sslmode = require\n%include inc.ini\n", "auth_type = md5\n")
	f.Add("[databases]\n* = host=x\n[pgbouncer]\n'a b' = c\n; x\n", "[users]\nu = pool_mode=session\n")
	f.Fuzz(func(t *testing.T, main, inc string) {
		files := map[string]string{"/f/pgbouncer.ini": main, "/f/inc.ini": inc}
		settings, err := Parse(reader(files), "/f/pgbouncer.ini")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Line < 0 {
				t.Fatalf("error %v is no *Error", err)
			}
			return
		}
		for k, s := range settings {
			if _, ok := files[s.File]; !ok || s.Line < 1 || s.Line > strings.Count(files[s.File], "\n")+1 {
				t.Fatalf("%s at %s", k, s.Where())
			}
		}
		again, _ := Parse(reader(files), "/f/pgbouncer.ini")
		if !reflect.DeepEqual(settings, again) {
			t.Fatal("parsing twice gave different settings")
		}
	})
}
