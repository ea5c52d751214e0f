package server

import (
	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sessions"
)

// sessionSources returns one source per configured PostgreSQL server and
// PgBouncer; they connect on the first scrape.
func sessionSources(cfg *config.Config) []collector.Source {
	var out []collector.Source
	for _, o := range sessions.PostgresOptions(cfg) {
		out = append(out, collector.NewPostgresSessions(sessions.NewPostgres(o)))
	}
	for _, o := range sessions.PgBouncerOptions(cfg) {
		out = append(out, collector.NewPgBouncerSessions(sessions.NewPgBouncer(o), o.ExpectServerTLS))
	}
	return out
}

// closeRuntime releases the connections of a configuration that was
// replaced. It runs in the background: closing waits for scrapes still using it.
func (s *Server) closeRuntime(rt *runtime) {
	if rt == nil {
		return
	}
	go func() {
		if err := rt.exporter.Close(); err != nil {
			s.logger.Warn("closing the previous configuration's connections", "err", err)
		}
	}()
}

// Close releases the running configuration's connections.
func (s *Server) Close() error {
	rt := s.current()
	if rt == nil {
		return nil
	}
	return rt.exporter.Close()
}
