package check

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sessions"
)

// Nouns counted in more than one finding about sessions.
var (
	clientSessions    = noun{"client session", "client sessions"}
	serverConnections = noun{"server connection", "server connections"}
)

// Check names used in findings about sessions.
const (
	CheckSessions   = "sessions"           // the source answered; a summary
	CheckPlaintext  = "plaintext-sessions" // clients without TLS over TCP
	CheckServerTLS  = "server-tls"         // PgBouncer's connections to PostgreSQL
	CheckTLSVersion = "tls-version"        // nothing older than TLS 1.2
)

// SessionFindings collects once from every configured session source, all
// at once, and judges the reports. Sources are asked by database and user,
// so that findings name who is on plaintext.
func SessionFindings(ctx context.Context, cfg *config.Config) []Finding {
	pgOpts, bouncerOpts := sessions.PostgresOptions(cfg), sessions.PgBouncerOptions(cfg)
	results := make([][]Finding, len(pgOpts)+len(bouncerOpts))
	var wg sync.WaitGroup
	for i, o := range pgOpts {
		o.ByDatabaseUser = true
		wg.Go(func() {
			src := sessions.NewPostgres(o)
			defer src.Close()
			r, err := src.Collect(ctx)
			results[i] = PostgresFindings(o.Name, r, err)
		})
	}
	for i, o := range bouncerOpts {
		o.ByDatabaseUser = true
		expect := cfg.Sessions.PgBouncer[i].ExpectServerTLS
		wg.Go(func() {
			src := sessions.NewPgBouncer(o)
			defer src.Close()
			r, err := src.Collect(ctx)
			results[len(pgOpts)+i] = PgBouncerFindings(o.Name, expect, r, err)
		})
	}
	wg.Wait()
	return slices.Concat(results...)
}

// PostgresFindings judges one collection from a PostgreSQL server: an
// unreachable server is UNKNOWN, plaintext client sessions are a WARNING,
// TLS older than 1.2 is CRITICAL.
func PostgresFindings(name string, r *sessions.PostgresReport, err error) []Finding {
	entry := "pg_stat_ssl/" + name
	if err != nil {
		return []Finding{{Entry: entry, Check: CheckSessions, Status: Unknown, Detail: err.Error()}}
	}
	var all, plain, old tally
	for _, g := range r.Groups {
		who := g.User + "@" + g.Database
		all.add(string(g.Transport), g.Count)
		if g.Transport == sessions.TransportPlaintext {
			plain.add(who, g.Count)
		}
		if sessions.OldTLSVersion(g.Version) {
			old.add(g.Version+" "+who, g.Count)
		}
	}
	out := []Finding{{Entry: entry, Check: CheckSessions, Status: OK, Detail: fmt.Sprintf(
		"PostgreSQL %s, ssl=%s, ssl_min_protocol_version=%s: %s", r.Settings.ServerVersion, r.Settings.SSL,
		orDash(r.Settings.MinProtocolVersion), transportSummary(all, clientSessions))}}
	out = append(out, plaintextFinding(entry, plain, clientSessions), versionFinding(entry, old))
	return out
}

// PgBouncerFindings judges one collection from a PgBouncer: an
// unreachable console is UNKNOWN, plaintext client connections are a
// WARNING, plaintext server connections are CRITICAL when expectServerTLS
// and a WARNING otherwise, TLS older than 1.2 on either side is CRITICAL.
func PgBouncerFindings(name string, expectServerTLS bool, r *sessions.PgBouncerReport, err error) []Finding {
	entry := "pgbouncer/" + name
	if err != nil {
		return []Finding{{Entry: entry, Check: CheckSessions, Status: Unknown, Detail: err.Error()}}
	}
	var clients, servers, plainClients, plainServers, old tally
	for _, g := range r.Groups {
		who := g.User + "@" + g.Database
		side, plain := &clients, &plainClients
		if g.Side == sessions.SideServer {
			side, plain = &servers, &plainServers
		}
		side.add(string(g.Transport), g.Count)
		if g.Transport == sessions.TransportPlaintext {
			plain.add(who, g.Count)
		}
		if sessions.OldTLSVersion(g.Version) {
			old.add(g.Version+" "+g.Side+" "+who, g.Count)
		}
	}
	out := []Finding{{Entry: entry, Check: CheckSessions, Status: OK, Detail: fmt.Sprintf("PgBouncer %s: %s; %s",
		orDash(r.Version), transportSummary(clients, noun{"client", "clients"}), transportSummary(servers, serverConnections))},
		plaintextFinding(entry, plainClients, noun{"client connection", "client connections"})}
	server := Finding{Entry: entry, Check: CheckServerTLS, Status: OK, Detail: "no server connection without TLS"}
	if plainServers.total > 0 {
		server.Status, server.Detail = Warning, fmt.Sprintf("%s without TLS: %s", serverConnections.of(plainServers.total), plainServers)
		if expectServerTLS {
			server.Status, server.Detail = Critical, server.Detail+" (expect_server_tls)"
		}
	}
	return append(out, server, versionFinding(entry, old))
}

func plaintextFinding(entry string, plain tally, what noun) Finding {
	if plain.total == 0 {
		return Finding{Entry: entry, Check: CheckPlaintext, Status: OK, Detail: "no plaintext " + what.many}
	}
	return Finding{Entry: entry, Check: CheckPlaintext, Status: Warning,
		Detail: fmt.Sprintf("%d plaintext %s: %s", plain.total, what.form(plain.total), plain)}
}

func versionFinding(entry string, old tally) Finding {
	if old.total == 0 {
		return Finding{Entry: entry, Check: CheckTLSVersion, Status: OK, Detail: "no TLS older than 1.2"}
	}
	return Finding{Entry: entry, Check: CheckTLSVersion, Status: Critical,
		Detail: fmt.Sprintf("%s TLS older than 1.2: %s", noun{"connection uses", "connections use"}.of(old.total), old)}
}

// transportSummary is e.g. "7 clients: 5 TLS, 1 plaintext, 1 socket".
func transportSummary(t tally, what noun) string {
	return fmt.Sprintf("%s: %d TLS, %d plaintext, %d socket", what.of(t.total),
		t.counts[string(sessions.TransportTLS)], t.counts[string(sessions.TransportPlaintext)], t.counts[string(sessions.TransportSocket)])
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// tally counts connections by a description.
type tally struct {
	total  int
	counts map[string]int
}

func (t *tally) add(key string, n int) {
	if t.counts == nil {
		t.counts = map[string]int{}
	}
	t.counts[key] += n
	t.total += n
}

// String lists the counts, largest first: "app@magflow 2, etl@dw 1".
func (t tally) String() string {
	keys := make([]string, 0, len(t.counts))
	for k := range t.counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := t.counts[b] - t.counts[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, t.counts[k])
	}
	return strings.Join(parts, ", ")
}
