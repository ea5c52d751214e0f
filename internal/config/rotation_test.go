package config

import (
	"strings"
	"testing"
	"time"
)

func TestRotationDefaults(t *testing.T) {
	cfg, err := Parse([]byte(renewBase), "/etc/pgtls")
	if err != nil {
		t.Fatal(err)
	}
	if got := [3]string{cfg.RotationNewCert(), cfg.RotationNewKey(), cfg.RotationBundle()}; got != [3]string{"ca/ca-next.crt", "ca/ca-next.key", "ca/ca-bundle.crt"} {
		t.Fatalf("derived paths %q", got)
	}
	if d := cfg.Renew.CARotation.MaxPhaseAgeDuration(); d != 7*24*time.Hour {
		t.Fatalf("max_phase_age default %s", d)
	}
	if cfg.Renew.CARotation.LinkCheck != nil {
		t.Fatal("a link check without configuration")
	}
}

func TestRotationSection(t *testing.T) {
	cfg, err := Parse([]byte(renewBase+`
renew:
  ca_rotation:
    new_cert: next/ca.crt
    new_key: next/ca.key
    bundle: /srv/www/ca-bundle.pem
    trust_files: [/etc/pgbouncer/ca.crt]
    common_name: MagFlow CA 2031
    max_phase_age: 14d
    link_check:
      dsn: host=pgbouncer port=5432 dbname=magflow user=app sslmode=verify-full sslrootcert=ca/ca.crt
      password_file: app.pw
      admin_dsn: host=/run/pgbouncer port=5432 dbname=pgbouncer user=stats
      admin_password_file: stats.pw
`), "/etc/pgtls")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Renew.CARotation
	if got := [3]string{cfg.RotationNewCert(), cfg.RotationNewKey(), cfg.RotationBundle()}; got != [3]string{"next/ca.crt", "next/ca.key", "/srv/www/ca-bundle.pem"} {
		t.Fatalf("paths %q", got)
	}
	if r.MaxPhaseAgeDuration() != 14*24*time.Hour || r.CommonName != "MagFlow CA 2031" || len(r.TrustFiles) != 1 ||
		r.LinkCheck == nil || r.LinkCheck.PasswordFile != "app.pw" || r.LinkCheck.AdminPasswordFile != "stats.pw" {
		t.Fatalf("parsed %+v", r)
	}
}

func TestRotationInvalid(t *testing.T) {
	rot := func(body string) string { return renewBase + "renew:\n  ca_rotation: " + body + "\n" }
	tests := []struct{ name, yaml, want string }{
		{"unknown key", rot("{bundel: x}"), `renew.ca_rotation: unknown key "bundel" (line 7); did you mean "bundle"?`},
		{"negative age", rot("{max_phase_age: -1d}"), `renew.ca_rotation.max_phase_age: must not be negative, got "-1d"`},
		{"empty trust file", rot("{trust_files: ['']}"), "renew.ca_rotation.trust_files[0]: is empty"},
		{"new cert is the CA", rot("{new_cert: ca/ca.crt}"), "renew.ca_rotation.new_cert: ca/ca.crt is the same file as ca.cert"},
		{"bundle is an entry's file", rot("{bundle: pg.crt}"), "renew.ca_rotation.bundle: pg.crt is the same file as certificates[1].cert"},
		{"trust file is the bundle", rot("{trust_files: [ca/ca-bundle.crt]}"), "renew.ca_rotation.trust_files[0]: ca/ca-bundle.crt is the same file as renew.ca_rotation.bundle"},
		{"link check without dsn", rot("{link_check: {password_file: p}}"), "renew.ca_rotation.link_check.dsn: is required"},
		{"password in link dsn", rot("{link_check: {dsn: 'host=pgb password=x'}}"), "renew.ca_rotation.link_check.dsn: must not hold a password; use password_file"},
		{"password in admin dsn", rot("{link_check: {dsn: host=pgb, admin_dsn: 'postgres://s:x@pgb/pgbouncer'}}"), "renew.ca_rotation.link_check.admin_dsn: must not hold a password; use password_file"},
		{"admin password without dsn", rot("{link_check: {dsn: host=pgb, admin_password_file: p}}"), "renew.ca_rotation.link_check.admin_password_file: is set but admin_dsn is not"},
		{"bad link dsn", rot("{link_check: {dsn: 'host=pgb sslcert=c.crt'}}"), "renew.ca_rotation.link_check.dsn: sslcert and sslkey must be given together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "/x")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
		})
	}
}
