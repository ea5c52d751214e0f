package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magflow/pgtls_exporter/internal/issue"
)

const renewBase = `
ca: {cert: ca/ca.crt, key: ca/ca.key}
certificates:
  - {name: pgbouncer, cert: pgb.crt, key: pgb.key, combined: pgb.pem}
  - {name: postgres, cert: pg.crt, key: pg.key}
`

func TestRenewDefaults(t *testing.T) {
	cfg, err := Parse([]byte(renewBase), "/etc/pgtls")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Renew
	if cfg.RenewBefore() != 30*24*time.Hour || r.ValidityDuration() != 365*24*time.Hour ||
		r.KeyTypeOrDefault() != issue.ECDSAP256 || r.KeepBackupsOrDefault() != 5 ||
		r.VerifyTimeoutDuration() != 30*time.Second || cfg.RenewStateDir() != "/etc/pgtls/renew-state" ||
		!slices.Equal(r.ComposeCommand(), []string{"docker", "compose"}) {
		t.Fatalf("defaults: %+v, state dir %s", r, cfg.RenewStateDir())
	}
	if r.CA.CAValidityDuration() != 3650*24*time.Hour || r.CA.CommonNameOrDefault() != "pgtls_exporter CA" || r.CA.KeyTypeOrDefault() != issue.ECDSAP256 {
		t.Fatalf("CA defaults: %+v", r.CA)
	}
	s := Service{Kind: KindPgBouncer}
	if s.TimeoutDuration() != 30*time.Second ||
		!slices.Equal(ComposeService{}.ReloadCommandOrDefault(KindPgBouncer), []string{"pgbouncer", "-R", "/etc/pgbouncer/pgbouncer.ini"}) ||
		!slices.Equal(ComposeService{}.ReloadCommandOrDefault(KindPostgres), []string{"pg_ctl", "reload"}) {
		t.Fatal("service defaults")
	}
}

func TestRenewFullSection(t *testing.T) {
	cfg, err := Parse([]byte(renewBase+`
renew:
  state_dir: /var/lib/pgtls/renew
  renew_before: 14d
  validity: 90d
  key_type: rsa-2048
  keep_backups: 3
  verify_timeout: 10s
  ca: {common_name: MagFlow CA, validity: 1825d, key_type: ed25519}
  docker_compose: {command: [docker-compose], project_dir: /srv/magflow, files: [compose.yml], project_name: magflow}
  services:
    - name: pgbouncer
      kind: pgbouncer
      certificates: [pgbouncer]
      docker_compose:
        service: pgbouncer
        copy: [{file: combined, to: /etc/pgbouncer/certs/pgbouncer.pem}]
    - name: db
      kind: postgres
      certificates: [postgres]
      reload: {sql: {dsn: "host=/run/postgresql user=postgres dbname=postgres", password_file: pw}}
      timeout: 5s
    - name: db-signal
      kind: postgres
      certificates: [postgres]
      reload: {signal: {pid_file: /var/lib/postgresql/data/postmaster.pid, signal: SIGHUP}}
    - name: db-command
      kind: postgres
      certificates: [postgres]
      reload: {command: [systemctl, reload, postgresql]}
`), "/etc/pgtls")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Renew
	if cfg.RenewStateDir() != "/var/lib/pgtls/renew" || cfg.RenewBefore() != 14*24*time.Hour ||
		r.KeyTypeOrDefault() != issue.RSA2048 || r.KeepBackupsOrDefault() != 3 || r.CA.KeyTypeOrDefault() != issue.Ed25519 ||
		len(r.Services) != 4 || r.Services[0].CopyEntry(r.Services[0].DockerCompose.Copy[0]) != "pgbouncer" ||
		r.Services[1].TimeoutDuration() != 5*time.Second || r.Services[1].Reload.SQL.PasswordFile != "pw" {
		t.Fatalf("parsed: %+v", r)
	}
	if CanonicalSignal(r.Services[2].Reload.Signal.Signal) != "HUP" {
		t.Fatal("signal name")
	}
}

func TestRenewInvalid(t *testing.T) {
	svc := func(body string) string {
		return renewBase + "renew:\n  services:\n    - " + strings.ReplaceAll(strings.TrimSpace(body), "\n", "\n      ") + "\n"
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", renewBase + "renew: {renew_befor: 3d}\n", `renew: unknown key "renew_befor" (line 6); did you mean "renew_before"?`},
		{"unknown service key", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {command: [x]}\nreloads: 1"), `renew.services[0]: unknown key "reloads" (line 12); did you mean "reload"?`},
		{"negative renew_before", renewBase + "renew: {renew_before: -1d}\n", `renew.renew_before: must not be negative, got "-1d" (line 6)`},
		{"validity not longer than renew_before", renewBase + "renew: {renew_before: 60d, validity: 30d}\n",
			"renew.validity: 30d must be longer than renew.renew_before (60d), or every run renews again"},
		{"bad key type", renewBase + "renew: {key_type: rsa-1024}\n", `renew.key_type: "rsa-1024" is not one of [ecdsa-p256 rsa-2048 rsa-3072 rsa-4096 ed25519]`},
		{"bad CA key type", renewBase + "renew: {ca: {key_type: dsa}}\n", `renew.ca.key_type: "dsa" is not one of`},
		{"negative keep_backups", renewBase + "renew: {keep_backups: -1}\n", "renew.keep_backups: must be at least 1 (0 means the default, 5)"},
		{"empty compose arg", renewBase + "renew: {docker_compose: {command: [docker, '']}}\n", "renew.docker_compose.command[1]: is empty"},
		{"service without name", svc("kind: postgres\ncertificates: [postgres]\nreload: {command: [x]}"), "renew.services[0].name: is required"},
		{"service bad name", svc("name: 'a b'\nkind: postgres\ncertificates: [postgres]\nreload: {command: [x]}"), `renew.services[0].name: "a b" may hold only`},
		{"duplicate service", renewBase + "renew:\n  services:\n    - {name: a, kind: postgres, certificates: [postgres], reload: {command: [x]}}\n    - {name: a, kind: postgres, certificates: [postgres], reload: {command: [x]}}\n",
			`renew.services[1].name: "a" is already used by renew.services[0]`},
		{"no kind", svc("name: a\ncertificates: [postgres]\nreload: {command: [x]}"), "renew.services[0].kind: is required (postgres or pgbouncer)"},
		{"bad kind", svc("name: a\nkind: mysql\ncertificates: [postgres]\nreload: {command: [x]}"), `renew.services[0].kind: "mysql" is not postgres or pgbouncer`},
		{"no certificates", svc("name: a\nkind: postgres\nreload: {command: [x]}"), "renew.services[0].certificates: at least one certificates entry is required"},
		{"unknown certificate", svc("name: a\nkind: postgres\ncertificates: [replica]\nreload: {command: [x]}"), `renew.services[0].certificates[0]: "replica" is not the name of a certificates entry`},
		{"no reload", svc("name: a\nkind: postgres\ncertificates: [postgres]"), "renew.services[0].reload: set one of sql, signal and command (or docker_compose)"},
		{"two reloads", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {command: [x], signal: {pid_file: p}}"), "renew.services[0].reload: set only one of sql, signal and command"},
		{"empty command", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {command: []}"), "renew.services[0].reload.command: is empty"},
		{"sql without dsn", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {sql: {password_file: p}}"), "renew.services[0].reload.sql.dsn: is required"},
		{"password in dsn", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {sql: {dsn: 'host=db password=secret'}}"), "renew.services[0].reload.sql.dsn: must not hold a password; use password_file"},
		{"password in URL", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {sql: {dsn: 'postgres://u:secret@db/x'}}"), "renew.services[0].reload.sql.dsn: must not hold a password"},
		{"sslpassword in dsn", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {sql: {dsn: 'host=db sslpassword=secret'}}"), "renew.services[0].reload.sql.dsn: must not hold a password; use password_file"},
		{"signal without pid file", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {signal: {signal: HUP}}"), "renew.services[0].reload.signal.pid_file: is required"},
		{"bad signal", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {signal: {pid_file: p, signal: KILL}}"), `renew.services[0].reload.signal.signal: "KILL" is not one of [HUP USR1 USR2]`},
		{"negative timeout", svc("name: a\nkind: postgres\ncertificates: [postgres]\nreload: {command: [x]}\ntimeout: -1s"), `renew.services[0].timeout: must not be negative, got "-1s" (line 12)`},
		{"compose without service", svc("name: a\nkind: postgres\ncertificates: [postgres]\ndocker_compose: {copy: [{file: cert, to: /x}]}"), "renew.services[0].docker_compose.service: is required"},
		{"compose without copy", svc("name: a\nkind: postgres\ncertificates: [postgres]\ndocker_compose: {service: db}"), "renew.services[0].docker_compose.copy: at least one file to copy is required"},
		{"compose relative to", svc("name: a\nkind: postgres\ncertificates: [postgres]\ndocker_compose: {service: db, copy: [{file: cert, to: server.crt}]}"), `renew.services[0].docker_compose.copy[0].to: "server.crt" is not an absolute path in the container`},
		{"compose bad file", svc("name: a\nkind: postgres\ncertificates: [postgres]\ndocker_compose: {service: db, copy: [{file: pem, to: /x}]}"), `renew.services[0].docker_compose.copy[0].file: "pem" is not one of cert, key, combined, ca`},
		{"compose missing combined", svc("name: a\nkind: postgres\ncertificates: [postgres]\ndocker_compose: {service: db, copy: [{file: combined, to: /x}]}"), `renew.services[0].docker_compose.copy[0].file: entry "postgres" has no combined file`},
		{"compose entry not of service", svc("name: a\nkind: postgres\ncertificates: [postgres]\ndocker_compose: {service: db, copy: [{certificate: pgbouncer, file: cert, to: /x}]}"), `renew.services[0].docker_compose.copy[0].certificate: "pgbouncer" is not one of the service's certificates`},
		{"compose ambiguous entry", svc("name: a\nkind: postgres\ncertificates: [postgres, pgbouncer]\ndocker_compose: {service: db, copy: [{file: cert, to: /x}]}"), "renew.services[0].docker_compose.copy[0].certificate: is required when the service has more than one certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "/x")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error:\n%s\nwant it to contain:\n%s", err, tc.want)
			}
		})
	}
}
