package audit

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/magflow/pgtls_exporter/internal/pghba"
	"github.com/magflow/pgtls_exporter/internal/sessions"
)

// PostgresSettings are the pg_settings rows the audit reads.
var PostgresSettings = []string{"ssl", "ssl_min_protocol_version", "ssl_ciphers", "password_encryption",
	"ssl_cert_file", "ssl_key_file", "ssl_ca_file", "ssl_crl_file", "data_directory", "hba_file"}

// postgresFiles are the TLS file settings of PostgreSQL and their roles.
var postgresFiles = [][2]string{{"ssl_cert_file", RoleCert}, {"ssl_key_file", RoleKey}, {"ssl_ca_file", RoleCA}, {"ssl_crl_file", RoleCRL}}

// postgresTarget audits one PostgreSQL server over its session source.
type postgresTarget struct {
	src   *sessions.Postgres
	watch *watch
	local bool
}

func (t *postgresTarget) Subject() string { return string(KindPostgres) + "/" + t.src.Name() }
func (t *postgresTarget) Kind() Kind      { return KindPostgres }

// privilegesQuery tells what the role may read: pg_settings' hidden rows
// and source columns (pg_read_all_settings), and pg_hba_file_rules (both
// the view and its function).
const privilegesQuery = `SELECT current_user::text, current_setting('server_version'),
       pg_has_role('pg_read_all_settings', 'USAGE'),
       has_table_privilege('pg_catalog.pg_hba_file_rules', 'SELECT'),
       has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE')`

const settingsQuery = `SELECT name, setting, coalesce(sourcefile, ''), coalesce(sourceline, 0)
FROM pg_settings WHERE name = ANY($1::text[])`

// hbaQuery reads the rules in the server's order. file_name comes with
// PostgreSQL 16; read through to_jsonb, one query serves 15 too.
const hbaQuery = `SELECT coalesce(line_number, 0), coalesce(type, ''), coalesce(database, '{}'), coalesce(user_name, '{}'),
       coalesce(address, ''), coalesce(netmask, ''), coalesce(auth_method, ''), coalesce(options, '{}'),
       coalesce(error, ''), coalesce(to_jsonb(r) ->> 'file_name', '')
FROM pg_hba_file_rules r`

// Collect reads the server's settings and rules.
func (t *postgresTarget) Collect(ctx context.Context) *Facts {
	f := &Facts{Subject: t.Subject(), Kind: KindPostgres, Settings: map[string]Setting{}}
	var role string
	var readAll, hbaView, hbaFunc bool
	err := t.src.Run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		if err := c.QueryRow(ctx, privilegesQuery).Scan(&role, &f.Version, &readAll, &hbaView, &hbaFunc); err != nil {
			return fmt.Errorf("read privileges: %w", err)
		}
		rows, err := c.Query(ctx, settingsQuery, PostgresSettings)
		if err != nil {
			return fmt.Errorf("read pg_settings: %w", err)
		}
		for rows.Next() {
			var name, value, file string
			var line int
			if err := rows.Scan(&name, &value, &file, &line); err != nil {
				rows.Close()
				return fmt.Errorf("read pg_settings: %w", err)
			}
			s := Setting{Value: value, Default: file == "" && readAll}
			if file != "" {
				s.Where = file + ":" + strconv.Itoa(line)
			}
			f.Settings[name] = s
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read pg_settings: %w", err)
		}
		if !hbaView || !hbaFunc {
			return nil
		}
		return t.readHBA(ctx, c, f)
	})
	if err != nil {
		f.Err = err
		return f
	}
	if !readAll {
		f.MissingGrants = append(f.MissingGrants, fmt.Sprintf("role %q is not a member of pg_read_all_settings "+
			"(GRANT pg_monitor TO %s): the data folder, hba_file and where settings are set are hidden", role, role))
	}
	if !hbaView || !hbaFunc {
		f.MissingGrants = append(f.MissingGrants, fmt.Sprintf("role %q may not read pg_hba_file_rules "+
			"(GRANT SELECT ON pg_hba_file_rules TO %s; GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO %s): pg_hba.conf is not audited",
			role, role, role))
	}
	t.files(f)
	return f
}

// readHBA reads pg_hba_file_rules into f.
func (t *postgresTarget) readHBA(ctx context.Context, c *pgx.Conn, f *Facts) error {
	hbaFile := f.Settings["hba_file"].Value
	if hbaFile == "" {
		hbaFile = "pg_hba.conf"
	}
	rows, err := c.Query(ctx, hbaQuery)
	if err != nil {
		return fmt.Errorf("read pg_hba_file_rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r pghba.Rule
		if err := rows.Scan(&r.Line, &r.Type, &r.Databases, &r.Users, &r.Address, &r.Netmask, &r.Method, &r.Options,
			&r.Error, &r.File); err != nil {
			return fmt.Errorf("read pg_hba_file_rules: %w", err)
		}
		if r.File == "" {
			r.File = hbaFile
		}
		f.HBA = append(f.HBA, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read pg_hba_file_rules: %w", err)
	}
	f.HBAKnown = true
	return nil
}

// files locates the TLS files the settings name; relative paths are
// relative to the data folder.
func (t *postgresTarget) files(f *Facts) {
	dataDir := f.Settings["data_directory"].Value
	for _, pf := range postgresFiles {
		path := f.Settings[pf[0]].Value
		if path == "" {
			continue
		}
		if !filepath.IsAbs(path) && dataDir != "" {
			path = filepath.Join(dataDir, path)
		}
		f.Files = append(f.Files, t.watch.locate(KindPostgres, pf[0], pf[1], path, t.local))
	}
}
