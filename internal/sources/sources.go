// Package sources builds, in one place, every source of facts a
// configuration names: the file inspector, the prober, the session
// sources, the audit's targets and renew's state folder (its runs and the
// CA rotation). serve turns a Set into collectors; check evaluates the
// same Set once; renew builds a Set for each look it takes (a plan, the
// verification after each reload, the state it records), so that every
// look reads the files anew and probes with a prober whose memory of
// verified chains began with it.
package sources

import (
	"time"

	"github.com/magflow/pgtls_exporter/internal/audit"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/scans"
	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/targets"
)

// Set is the sources of one configuration.
type Set struct {
	Config    *config.Config
	Inspector *inspect.Inspector
	Prober    *targets.Prober
	// Scanner scans the targets' TLS (scheduled by serve, live in check).
	Scanner   *scans.Scanner
	Postgres  []*sessions.Postgres
	PgBouncer []*sessions.PgBouncer
	// Audit are the audit's subjects: the session servers (over the same
	// connections) and the configured files.
	Audit []audit.Target
	// Policy is what every finding is judged with.
	Policy rules.Policy
	// Acknowledge are the audit findings accepted with a reason.
	Acknowledge []config.Acknowledgement
	// RotationMaxAge is how long a CA rotation may stay in a phase.
	RotationMaxAge time.Duration
}

// Options adjust a Set.
type Options struct {
	// ByDatabaseUser asks every session source for database and user,
	// whatever the configuration says (check names who is on plaintext).
	ByDatabaseUser bool
	// Workers bounds parallel parsing of files; zero means GOMAXPROCS.
	Workers int
}

// New builds the sources of cfg. Session sources connect on first use.
func New(cfg *config.Config, opts Options) *Set {
	s := &Set{Config: cfg, Inspector: inspect.New(cfg, opts.Workers), Prober: targets.New(cfg), Scanner: scans.New(cfg),
		Policy: rules.PolicyOf(cfg), Acknowledge: cfg.Audit.Acknowledge,
		RotationMaxAge: cfg.Renew.CARotation.MaxPhaseAgeDuration()}
	for _, o := range sessions.PostgresOptions(cfg) {
		o.ByDatabaseUser = o.ByDatabaseUser || opts.ByDatabaseUser
		s.Postgres = append(s.Postgres, sessions.NewPostgres(o))
	}
	for _, o := range sessions.PgBouncerOptions(cfg) {
		o.ByDatabaseUser = o.ByDatabaseUser || opts.ByDatabaseUser
		s.PgBouncer = append(s.PgBouncer, sessions.NewPgBouncer(o))
	}
	s.Audit = audit.Targets(cfg, s.Postgres, s.PgBouncer)
	return s
}

// RenewStateDir is the folder renew keeps its state in.
func (s *Set) RenewStateDir() string { return s.Config.RenewStateDir() }

// Close closes the session sources' connections.
func (s *Set) Close() {
	for _, p := range s.Postgres {
		p.Close()
	}
	for _, b := range s.PgBouncer {
		b.Close()
	}
}
