package sessions

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// issuersQuery counts client backends with a client certificate by its
// issuer ($1: the exporter's application_name, left out).
const issuersQuery = `
SELECT pg_has_role('pg_read_all_stats', 'USAGE'), current_user::text, s.issuer_dn, count(s.pid)
FROM (SELECT 1) one
LEFT JOIN (pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid
           AND a.backend_type = 'client backend' AND a.application_name IS DISTINCT FROM $1::text)
       ON s.client_dn IS NOT NULL
GROUP BY 3`

// ClientCertIssuers counts the server's client sessions that presented a
// client certificate, by the certificate's issuer as pg_stat_ssl shows it
// (OpenSSL's form, e.g. "/CN=MagFlow CA"). It fails rather than
// under-count when the role may not see other roles' sessions.
func (p *Postgres) ClientCertIssuers(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	var readAll bool
	var role string
	err := p.conn.run(ctx, func(ctx context.Context, c *pgx.Conn) error {
		clear(out)
		rows, err := c.Query(ctx, issuersQuery, p.conn.appName)
		if err != nil {
			return fmt.Errorf("query pg_stat_ssl: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var issuer *string
			var n int64
			if err := rows.Scan(&readAll, &role, &issuer, &n); err != nil {
				return fmt.Errorf("read pg_stat_ssl: %w", err)
			}
			if issuer != nil && n > 0 {
				out[*issuer] += int(n)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if !readAll {
		return nil, p.conn.errorf("role %q may not see other roles' sessions in pg_stat_ssl: it needs pg_read_all_stats (GRANT pg_monitor TO %s)", role, role)
	}
	return out, nil
}
