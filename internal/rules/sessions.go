package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/sessions"
)

// Check names used in findings about sessions.
const (
	CheckSessions   = "sessions"           // the source answered; a summary
	CheckPlaintext  = "plaintext-sessions" // clients without TLS over TCP
	CheckServerTLS  = "server-tls"         // PgBouncer's connections to PostgreSQL
	CheckTLSVersion = "tls-version"        // nothing older than TLS 1.2
)

// PostgresFindings judges one collection from a PostgreSQL server: an
// unreachable server is UNKNOWN, plaintext client sessions are a WARNING,
// TLS older than the policy's minimum is CRITICAL.
func PostgresFindings(name string, r *sessions.PostgresReport, err error, p Policy) []Finding {
	entry := "pg_stat_ssl/" + name
	if err != nil {
		return []Finding{problem(SourceSessions, entry, CheckSessions, "", SessionSourceFailed, "%v", err)}
	}
	var all, plain, old tally
	for _, g := range r.Groups {
		who := g.User + "@" + g.Database
		all.add(string(g.Transport), g.Count)
		if g.Transport == sessions.TransportPlaintext {
			plain.add(who, g.Count)
		}
		if p.OldTLS(g.Version) {
			old.add(g.Version+" "+who, g.Count)
		}
	}
	out := []Finding{ok(SourceSessions, entry, CheckSessions, "", "PostgreSQL %s, ssl=%s, ssl_min_protocol_version=%s: %s",
		r.Settings.ServerVersion, r.Settings.SSL, orDash(r.Settings.MinProtocolVersion), transportSummary(all, "client session", "client sessions"))}
	out = append(out, plaintextFinding(entry, plain, "client session", "client sessions"), versionFinding(entry, old, p))
	return out
}

// PgBouncerFindings judges one collection from a PgBouncer: an
// unreachable console is UNKNOWN, plaintext client connections are a
// WARNING, plaintext server connections are CRITICAL when expectServerTLS
// and a WARNING otherwise, TLS older than the policy's minimum on either side is CRITICAL.
func PgBouncerFindings(name string, expectServerTLS bool, r *sessions.PgBouncerReport, err error, p Policy) []Finding {
	entry := "pgbouncer/" + name
	if err != nil {
		return []Finding{problem(SourceSessions, entry, CheckSessions, "", SessionSourceFailed, "%v", err)}
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
		if p.OldTLS(g.Version) {
			old.add(g.Version+" "+g.Side+" "+who, g.Count)
		}
	}
	out := []Finding{ok(SourceSessions, entry, CheckSessions, "", "PgBouncer %s: %s; %s", orDash(r.Version),
		transportSummary(clients, "client", "clients"), transportSummary(servers, "server connection", "server connections")),
		plaintextFinding(entry, plainClients, "client connection", "client connections")}
	server := ok(SourceSessions, entry, CheckServerTLS, "", "no server connection without TLS")
	if n := plainServers.total; n > 0 {
		code, suffix := PlaintextServerConnections, ""
		if expectServerTLS {
			code, suffix = ServerTLSExpected, " (expect_server_tls)"
		}
		server = problem(SourceSessions, entry, CheckServerTLS, "", code, "%d %s without TLS: %s%s", n,
			plural(n, "server connection", "server connections"), plainServers, suffix)
	}
	return append(out, server, versionFinding(entry, old, p))
}

func plaintextFinding(entry string, plain tally, one, many string) Finding {
	if plain.total == 0 {
		return ok(SourceSessions, entry, CheckPlaintext, "", "no plaintext %s", many)
	}
	return problem(SourceSessions, entry, CheckPlaintext, "", PlaintextSessions, "%d plaintext %s: %s",
		plain.total, plural(plain.total, one, many), plain)
}

func versionFinding(entry string, old tally, p Policy) Finding {
	if old.total == 0 {
		return ok(SourceSessions, entry, CheckTLSVersion, "", "no TLS older than %s", p.minTLSWords())
	}
	return problem(SourceSessions, entry, CheckTLSVersion, "", OldTLSVersion, "%d %s TLS older than %s: %s",
		old.total, plural(old.total, "connection uses", "connections use"), p.minTLSWords(), old)
}

// plural picks the singular or plural wording for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// transportSummary is e.g. "7 clients: 5 TLS, 1 plaintext, 1 socket".
func transportSummary(t tally, one, many string) string {
	return fmt.Sprintf("%d %s: %d TLS, %d plaintext, %d socket", t.total, plural(t.total, one, many),
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
