package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/magflow/pgtls_exporter/internal/sessions"
)

// PgBouncerSettings are the [pgbouncer] keys the audit judges, with
// PgBouncer's defaults for a pgbouncer.ini that does not set them
// (server_tls_sslmode is prefer since PgBouncer 1.20, disable before).
var PgBouncerSettings = map[string]string{
	"client_tls_sslmode":   "disable",
	"server_tls_sslmode":   "prefer",
	"client_tls_protocols": "secure",
	"server_tls_protocols": "secure",
	"client_tls_ciphers":   "default",
	"server_tls_ciphers":   "default",
	"auth_type":            "md5",
	"client_tls_cert_file": "",
	"client_tls_key_file":  "",
	"client_tls_ca_file":   "",
	"server_tls_cert_file": "",
	"server_tls_key_file":  "",
	"server_tls_ca_file":   "",
}

// pgbouncerFiles are PgBouncer's TLS file settings and their roles.
var pgbouncerFiles = [][2]string{
	{"client_tls_cert_file", RoleCert}, {"client_tls_key_file", RoleKey}, {"client_tls_ca_file", RoleCA},
	{"server_tls_cert_file", RoleCert}, {"server_tls_key_file", RoleKey}, {"server_tls_ca_file", RoleCA},
}

// pgbouncerTarget audits one PgBouncer over its admin console source.
type pgbouncerTarget struct {
	src   *sessions.PgBouncer
	watch *watch
	local bool
}

func (t *pgbouncerTarget) Subject() string { return string(KindPgBouncer) + "/" + t.src.Name() }
func (t *pgbouncerTarget) Kind() Kind      { return KindPgBouncer }

// Collect reads SHOW CONFIG (simple protocol: the console knows no other).
func (t *pgbouncerTarget) Collect(ctx context.Context) *Facts {
	f := &Facts{Subject: t.Subject(), Kind: KindPgBouncer, Settings: map[string]Setting{}}
	var refused error
	err := t.src.Run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		if err := c.QueryRow(ctx, "SHOW VERSION").Scan(&f.Version); err != nil {
			return fmt.Errorf("SHOW VERSION: %w", err)
		}
		err := showConfig(ctx, c, f.Settings)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) { // the console answered, and refused
			refused, err = pgErr, nil
		}
		return err
	})
	if err != nil {
		f.Err = err
		return f
	}
	if refused != nil {
		f.MissingGrants = append(f.MissingGrants, fmt.Sprintf("SHOW CONFIG was refused (%v): list the user in stats_users or admin_users", refused))
		return f
	}
	for _, pf := range pgbouncerFiles {
		if path := f.Settings[pf[0]].Value; path != "" {
			f.Files = append(f.Files, t.watch.locate(KindPgBouncer, pf[0], pf[1], path, t.local))
		}
	}
	return f
}

// showConfig reads the judged keys of SHOW CONFIG into settings.
func showConfig(ctx context.Context, c *pgx.Conn, settings map[string]Setting) error {
	rows, err := c.Query(ctx, "SHOW CONFIG")
	if err != nil {
		return fmt.Errorf("SHOW CONFIG: %w", err)
	}
	defer rows.Close()
	col := map[string]int{}
	for i, fd := range rows.FieldDescriptions() {
		col[fd.Name] = i
	}
	for _, name := range []string{"key", "value", "default"} {
		if _, ok := col[name]; !ok {
			return fmt.Errorf("SHOW CONFIG: no %q column", name)
		}
	}
	for rows.Next() {
		v := rows.RawValues()
		key, value := string(v[col["key"]]), string(v[col["value"]])
		if _, judged := PgBouncerSettings[key]; judged {
			settings[key] = Setting{Value: value, Default: value == string(v[col["default"]])}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("SHOW CONFIG: %w", err)
	}
	return nil
}
