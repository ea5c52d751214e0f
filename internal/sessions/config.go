package sessions

import "github.com/magflow/pgtls_exporter/internal/config"

// PostgresOptions returns the options of every configured PostgreSQL
// source, with the files named in their DSNs resolved against the
// configuration folder.
func PostgresOptions(cfg *config.Config) []Options {
	var out []Options
	for _, s := range cfg.Sessions.Postgres {
		out = append(out, options(cfg, s.SessionSource))
	}
	return out
}

// PgBouncerOptions is PostgresOptions for the PgBouncer sources.
func PgBouncerOptions(cfg *config.Config) []Options {
	var out []Options
	for _, s := range cfg.Sessions.PgBouncer {
		o := options(cfg, s.SessionSource)
		o.ExpectServerTLS = s.ExpectServerTLS
		out = append(out, o)
	}
	return out
}

func options(cfg *config.Config, s config.SessionSource) Options {
	dsn, err := cfg.ResolveDSN(s.DSN)
	if err != nil {
		// Validation parsed it already; if not, pgx reports the problem
		// on first use.
		dsn = s.DSN.Value()
	}
	return Options{Name: s.Name, DSN: config.DSN(dsn), PasswordFile: cfg.Resolve(s.PasswordFile), ByDatabaseUser: s.ByDatabaseUser}
}
