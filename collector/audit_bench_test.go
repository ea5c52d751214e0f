package collector

import (
	"fmt"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sources"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// BenchmarkAuditScrape measures what the live audit adds to a scrape of
// PostgreSQL (100 pg_hba rules) and PgBouncer, both audits together as the
// exporter runs them, over warm pooled connections.
//
//	go test ./collector/ -run '^$' -bench BenchmarkAuditScrape -benchtime 200x
func BenchmarkAuditScrape(b *testing.B) {
	var hba []string
	for i := range 100 {
		hba = append(hba, fmt.Sprintf("hostssl all user%d 10.%d.0.0/16 scram-sha-256", i, i))
	}
	s := testenv.StartT(b, testenv.Options{WithPgBouncer: true, AuditGrants: true, HBA: hba})
	c := s.Certs()
	cfg, err := config.Parse(fmt.Appendf(nil, `
ca: {cert: %s}
certificates: [{name: postgres, cert: %s, key: %s}, {name: pgbouncer, cert: %s, key: %s}]
sessions:
  postgres: [{name: db, dsn: %q}]
  pgbouncer: [{name: pgb, dsn: %q}]
audit: {live: true}
`, c.CA, c.PostgresCert, c.PostgresKey, c.PgBouncerCert, c.PgBouncerKey, s.PostgresDSN(testenv.UserMonitor, "verify-full"),
		s.PgBouncerDSN(testenv.UserStats, "pgbouncer", "verify-full")), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	set := sources.New(cfg, sources.Options{})
	b.Cleanup(set.Close)
	var audits []Source
	all, _ := FromSources(set, quiet)
	for _, src := range all {
		if src.Name() == "audit/postgres/db" || src.Name() == "audit/pgbouncer/pgb" {
			audits = append(audits, src)
		}
	}
	if got := problems(b, audits...); len(got) != 0 || len(audits) != 2 {
		b.Fatalf("%d audit sources, problems %v", len(audits), got)
	}
	exporter := NewExporter(quiet, audits...)
	b.ReportAllocs()
	for b.Loop() {
		drainExporter(exporter)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/scrape")
}
