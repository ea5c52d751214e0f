package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/magflow/pgtls_exporter/internal/check"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// setUpHeading is the README section a user follows to watch the servers
// they already run.
const setUpHeading = "## Watch the servers you already run"

// setUpSection returns that section of the README.
func setUpSection(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "\n"+setUpHeading+"\n")
	if start < 0 {
		t.Fatalf("README.md has no %q section", setUpHeading)
	}
	section := text[start+1:]
	if end := strings.Index(section[len(setUpHeading):], "\n## "); end >= 0 {
		section = section[:len(setUpHeading)+end]
	}
	return section
}

// fencedBlocks returns the bodies of the section's code blocks in lang, in
// order.
func fencedBlocks(section, lang string) []string {
	var blocks []string
	var body []string
	inBlock := false
	for _, line := range strings.Split(section, "\n") {
		switch {
		case !inBlock && line == "```"+lang:
			inBlock, body = true, nil
		case inBlock && line == "```":
			inBlock = false
			blocks = append(blocks, strings.Join(body, "\n")+"\n")
		case inBlock:
			body = append(body, line)
		}
	}
	return blocks
}

// setUpBlock is the one block of lang in the set-up section whose text
// contains marker.
func setUpBlock(t *testing.T, lang, marker string) string {
	t.Helper()
	var found []string
	for _, b := range fencedBlocks(setUpSection(t), lang) {
		if strings.Contains(b, marker) {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("README set-up section: %d %s blocks hold %q, want 1", len(found), lang, marker)
	}
	return found[0]
}

// TestSetUpSectionComesEarly: the section a new user needs starts within
// the README's first 150 lines, and the README stays short.
func TestSetUpSectionComesEarly(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	at := slices.Index(lines, setUpHeading)
	if at < 0 || at >= 150 {
		t.Errorf("%q is at line %d, want within the first 150", setUpHeading, at+1)
	}
	if len(lines) > 400 {
		t.Errorf("README.md has %d lines; reference material belongs under docs/", len(lines))
	}
}

// TestSetUpConfigurationLoads: the configuration the set-up section gives
// is valid as written.
func TestSetUpConfigurationLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pgtls_exporter.yml")
	testcerts.WriteFile(t, path, []byte(setUpBlock(t, "yaml", "certificates:")), 0o644)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the README's configuration does not load: %v", err)
	}
	if len(cfg.Certificates) != 2 || len(cfg.Targets) != 2 || len(cfg.Sessions.Postgres) != 1 || len(cfg.Sessions.PgBouncer) != 1 {
		t.Fatalf("want one certificate, target and sessions entry for each of PostgreSQL and PgBouncer, got %d, %d, %d+%d",
			len(cfg.Certificates), len(cfg.Targets), len(cfg.Sessions.Postgres), len(cfg.Sessions.PgBouncer))
	}
}

// readmeConfig is the part of the set-up configuration the stack test
// adapts: the expected names, to issue certificates for.
type readmeConfig struct {
	Certificates []struct {
		Name          string   `yaml:"name"`
		ExpectedNames []string `yaml:"expected_names"`
	} `yaml:"certificates"`
}

// TestSetUpSectionOnRealServers follows the set-up section against a real
// PostgreSQL and PgBouncer: certificates issued for the names it lists, its
// GRANTs run as written, its pgbouncer.ini lines added, its configuration
// pointed at the stack's ports and files. check then finds every source
// readable, and nothing missing a privilege.
func TestSetUpSectionOnRealServers(t *testing.T) {
	configText := setUpBlock(t, "yaml", "certificates:")
	var rc readmeConfig
	if err := yaml.Unmarshal([]byte(configText), &rc); err != nil {
		t.Fatal(err)
	}
	names := map[string][]string{}
	for _, c := range rc.Certificates {
		names[c.Name] = c.ExpectedNames
	}
	tc := testenv.WriteTestCerts(t, filepath.Join(t.TempDir(), "certs"))
	tc.RotatePostgres(t, certOptions("postgres", names["postgres"]))
	tc.RotatePgBouncer(t, certOptions("pgbouncer", names["pgbouncer"]))

	var iniLines []string
	for _, line := range strings.Split(setUpBlock(t, "ini", "stats_users"), "\n") {
		if line != "" && line != "[pgbouncer]" {
			iniLines = append(iniLines, line)
		}
	}
	s := testenv.StartT(t, testenv.Options{Certs: tc.Files, WithPgBouncer: true, PgBouncerConf: iniLines})
	ctx := context.Background()
	const role, password = "pgtls_exporter", "readme-set-up-pw"

	// createuser --pwprompt, then the section's GRANTs as written.
	conn, err := pgx.Connect(ctx, s.SocketDSN(testenv.UserPostgres, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", role, password)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, setUpBlock(t, "sql", "GRANT")); err != nil {
		t.Fatalf("the README's GRANTs fail: %v", err)
	}
	// PgBouncer's auth_file gets the user; a reload reads it.
	userlist := filepath.Join(filepath.Dir(s.PgBouncerConfigFile()), "userlist.txt")
	f, err := os.OpenFile(userlist, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(f, "%q %q\n", role, password)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	pwFile := filepath.Join(dir, "password")
	testcerts.WriteFile(t, pwFile, []byte(password+"\n"), 0o600)
	_, pgPort, _ := net.SplitHostPort(s.PostgresAddr())
	_, bouncerPort, _ := net.SplitHostPort(s.PgBouncerAddr())
	adapted := strings.NewReplacer(
		"/etc/pgtls/certs/ca.crt", tc.Files.CA,
		"/etc/pgtls/certs/ca.key", filepath.Join(dir, "ca.key"),
		"/etc/pgtls/certs/postgres.crt", tc.Files.PostgresCert,
		"/etc/pgtls/certs/postgres.key", tc.Files.PostgresKey,
		"/etc/pgtls/certs/pgbouncer.crt", tc.Files.PgBouncerCert,
		"/etc/pgtls/certs/pgbouncer.key", tc.Files.PgBouncerKey,
		"/etc/pgtls_exporter/postgres.password", pwFile,
		"/etc/pgtls_exporter/pgbouncer.password", pwFile,
		"/var/lib/pgtls_exporter/renew", filepath.Join(dir, "renew"),
		"127.0.0.1:5432", s.PostgresAddr(), "port=5432", "port="+pgPort,
		"127.0.0.1:6432", s.PgBouncerAddr(), "port=6432", "port="+bouncerPort,
	).Replace(configText)
	cfgPath := filepath.Join(dir, "pgtls_exporter.yml")
	testcerts.WriteFile(t, cfgPath, []byte(adapted), 0o644)

	var out bytes.Buffer
	check.Run(ctx, &out, check.Options{ConfigFile: cfgPath, Output: "json"})
	var res rules.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var problems []string
	ok := map[string]bool{}
	for _, f := range res.Findings {
		if f.Status != rules.OK {
			problems = append(problems, fmt.Sprintf("%s %s %s: %s", f.Entry, f.Check, f.Code, f.Detail))
		}
		ok[f.Entry+" "+f.Check] = f.Status == rules.OK
	}
	if res.ExitCode != 0 || len(problems) > 0 {
		t.Fatalf("check of the README's set-up on a real stack: exit %d, problems:\n%s", res.ExitCode, strings.Join(problems, "\n"))
	}
	// Each source ran: the sessions of both servers, the audit's pg_hba
	// rules (the GRANTs on pg_hba_file_rules), both handshakes and both
	// key files judged for their server.
	for _, row := range []string{"pg_stat_ssl/postgres sessions", "pgbouncer/pgbouncer sessions", "postgres/postgres pg_hba",
		"postgres served-verify", "pgbouncer served-verify", "postgres key-permissions", "pgbouncer key-permissions"} {
		if !ok[row] {
			t.Errorf("no OK %q row in the report:\n%s", row, out.String())
		}
	}
}

// certOptions issues a server certificate for the given names: DNS names
// and IP addresses as the configuration lists them.
func certOptions(commonName string, names []string) testcerts.Options {
	opts := testcerts.Options{CommonName: commonName, KeyType: testcerts.ECDSAP256}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			opts.IPAddresses = append(opts.IPAddresses, ip)
		} else {
			opts.DNSNames = append(opts.DNSNames, n)
		}
	}
	return opts
}
