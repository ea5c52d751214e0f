package config

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const secret = "hunter2-Secret"

func TestExampleConfigSessions(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "config.example.yml"))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sessions
	if len(s.Postgres) != 1 || len(s.PgBouncer) != 1 {
		t.Fatalf("sessions: %+v", s)
	}
	if s.Postgres[0].Name != "db" || s.Postgres[0].PasswordFile != "/run/secrets/monitor_password" || s.Postgres[0].ByDatabaseUser {
		t.Errorf("postgres entry: %+v", s.Postgres[0])
	}
	if s.PgBouncer[0].Name != "pgbouncer" || !s.PgBouncer[0].ExpectServerTLS {
		t.Errorf("pgbouncer entry: %+v", s.PgBouncer[0])
	}
	dsn, err := cfg.ResolveDSN(s.Postgres[0].DSN)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(filepath.Join("..", "..", "certs", "ca", "ca.crt"))
	want := "host='db' port='5432' dbname='magflow' user='monitor' sslmode='verify-full' sslrootcert='" + abs + "'"
	if dsn != want {
		t.Errorf("ResolveDSN:\n got %s\nwant %s", dsn, want)
	}
}

func TestInvalidSessions(t *testing.T) {
	head := "ca: {cert: ca.crt}\ncertificates: [{name: pg, cert: a}]\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "sessions:\n  postgres:\n    - {name: db, dsn: host=db, passwd_file: x}\n",
			`sessions.postgres[0]: unknown key "passwd_file" (line 5); did you mean "password_file"?`},
		{"unknown kind", "sessions:\n  pgpool: []\n",
			`sessions: unknown key "pgpool" (line 4)`},
		{"expect_server_tls on postgres", "sessions:\n  postgres:\n    - {name: db, dsn: host=db, expect_server_tls: true}\n",
			`sessions.postgres[0]: unknown key "expect_server_tls" (line 5)`},
		{"missing dsn", "sessions:\n  pgbouncer:\n    - {name: pgb}\n", "sessions.pgbouncer[0].dsn: is required"},
		{"missing name", "sessions:\n  postgres:\n    - {dsn: host=db}\n", "sessions.postgres[0].name: is required"},
		{"bad name", "sessions:\n  postgres:\n    - {name: 'a/b', dsn: host=db}\n",
			`sessions.postgres[0].name: "a/b" may hold only letters, digits, '_', '.' and '-'`},
		{"duplicate name", "sessions:\n  postgres:\n    - {name: db, dsn: host=a}\n    - {name: db, dsn: host=b}\n",
			`sessions.postgres[1].name: "db" is already used by sessions.postgres[0]`},
		{"same name in both lists", "sessions:\n  postgres: [{name: x, dsn: host=a}]\n  pgbouncer: [{name: x, dsn: host=b}]\n", ""},
		{"bad sslmode, password in DSN", "sessions:\n  postgres:\n    - {name: db, dsn: 'host=db password=" + secret + " sslmode=bogus'}\n",
			"sessions.postgres[0].dsn: does not parse: failed to configure TLS (sslmode is invalid)"},
		{"unterminated quote after password", "sessions:\n  postgres:\n    - {name: db, dsn: \"host=db password='" + secret + "\"}\n",
			"sessions.postgres[0].dsn: does not parse: unterminated quoted value in connection string (parameter 2)"},
		{"password without keyword", "sessions:\n  postgres:\n    - {name: db, dsn: 'host=db " + secret + " x=y'}\n",
			"sessions.postgres[0].dsn: does not parse: invalid keyword in connection string (parameter 2)"},
		{"URL with password, bad port", "sessions:\n  pgbouncer:\n    - {name: pgb, dsn: 'postgres://stats:" + secret + "@pgbouncer:port/pgbouncer'}\n",
			"sessions.pgbouncer[0].dsn: does not parse: invalid port"},
		{"URL password query, bad sslmode", "sessions:\n  pgbouncer:\n    - {name: pgb, dsn: 'postgresql://stats@pgbouncer/pgbouncer?password=" + secret + "&sslmode=nope'}\n",
			"sessions.pgbouncer[0].dsn: does not parse: failed to configure TLS (sslmode is invalid)"},
		{"sslcert without sslkey", "sessions:\n  postgres:\n    - {name: db, dsn: 'host=db sslcert=c.crt'}\n",
			"sessions.postgres[0].dsn: sslcert and sslkey must be given together"},
		{"missing files are not a config error", "sessions:\n  postgres:\n    - {name: db, dsn: 'host=db sslmode=verify-full sslrootcert=/nonexistent/ca.crt sslcert=c sslkey=k'}\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(head+tc.yaml), "/x")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Fatalf("error:\n%s\nwant:\n%s", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error reveals the password: %v", err)
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"host=db user=monitor password=" + secret + " sslmode=verify-full",
			"host='db' user='monitor' password='xxxxx' sslmode='verify-full'"},
		{"host=db password='it\\'s " + secret + "'", "host='db' password='xxxxx'"},
		{"host = db sslpassword = " + secret, "host='db' sslpassword='xxxxx'"},
		{"postgres://monitor:" + secret + "@db:5432/magflow?sslmode=verify-full",
			"postgres://monitor:xxxxx@db:5432/magflow?sslmode=verify-full"},
		{"postgresql://monitor@db/magflow?password=" + secret, "postgresql://monitor@db/magflow?password=xxxxx"},
		{"postgres://monitor:p@ss" + secret + "@db/magflow", "postgres://monitor:xxxxx@db/magflow"},
		{"host=db password='" + secret, "<unparsable DSN>"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := RedactDSN(tc.in); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestDSNNeverPrintsPassword covers every way a configuration is printed.
func TestDSNNeverPrintsPassword(t *testing.T) {
	cfg, err := Parse([]byte("ca: {cert: ca.crt}\ncertificates: [{name: pg, cert: a}]\nsessions:\n  postgres:\n"+
		"    - {name: db, dsn: 'postgres://monitor:"+secret+"@db/magflow'}\n"), "/x")
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg),
		fmt.Sprint(cfg.Sessions.Postgres[0].DSN), string(y), string(j)} {
		if strings.Contains(out, secret) {
			t.Errorf("printed configuration reveals the password:\n%s", out)
		}
		if !strings.Contains(out, "xxxxx") {
			t.Errorf("printed configuration lacks the masked DSN:\n%s", out)
		}
	}
	if cfg.Sessions.Postgres[0].DSN.Value() != "postgres://monitor:"+secret+"@db/magflow" {
		t.Error("Value does not return the DSN as configured")
	}
}

func TestResolveDSN(t *testing.T) {
	cfg, err := Parse([]byte(validYAML), "/etc/pgtls")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"host=db sslmode=verify-full", "host=db sslmode=verify-full"},
		{"host=db sslrootcert=certs/ca.crt sslcert=c.crt sslkey='my key.pem' password=" + secret,
			"host='db' sslrootcert='/etc/pgtls/certs/ca.crt' sslcert='/etc/pgtls/c.crt' sslkey='/etc/pgtls/my key.pem' password='" + secret + "'"},
		{"host=db sslrootcert=system", "host=db sslrootcert=system"},
		{"host=db sslrootcert=/abs/ca.crt", "host=db sslrootcert=/abs/ca.crt"},
		{"postgres://monitor:" + secret + "@db/magflow?sslrootcert=ca.crt&sslmode=verify-full",
			"postgres://monitor:" + secret + "@db/magflow?sslrootcert=%2Fetc%2Fpgtls%2Fca.crt&sslmode=verify-full"},
	}
	for _, tc := range tests {
		got, err := cfg.ResolveDSN(DSN(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("ResolveDSN(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := cfg.ResolveDSN("host='db"); err == nil {
		t.Error("ResolveDSN of an unparsable DSN: no error")
	}
}

// FuzzDSN: parsing never panics; a parsed DSN formats back to one with the
// same parameters, and its redacted form has no password left.
func FuzzDSN(f *testing.F) {
	for _, seed := range []string{"host=db password=" + secret, "host='a b' password='x\\'y'", "postgres://u:p%40ss@h/db?password=z&sslmode=require",
		"postgresql://h", "a=", "=b", "x='", "host=db\\", "postgres://u:%zz@h"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseDSN(s)
		if err != nil {
			return
		}
		again, err := parseDSN(p.format(false))
		if err != nil {
			t.Fatalf("formatted DSN %q does not parse: %v", p.format(false), err)
		}
		if fmt.Sprint(again.params) != fmt.Sprint(p.params) || again.password != p.password || again.hasPass != p.hasPass {
			t.Fatalf("round trip changed %q: %+v -> %+v", s, p, again)
		}
		red, err := parseDSN(p.format(true))
		if err != nil {
			t.Fatalf("redacted DSN does not parse: %v", err)
		}
		for _, sec := range red.secrets() {
			if sec != redactedMask {
				t.Fatalf("redacted DSN keeps secret %q", sec)
			}
		}
	})
}
