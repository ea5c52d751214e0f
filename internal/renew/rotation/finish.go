package rotation

import (
	"context"
	"crypto/x509"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sessions"
	"github.com/magflow/pgtls_exporter/internal/sources"
	"github.com/magflow/pgtls_exporter/internal/targets"
)

// OldCAUsers lists what still needs one of the old CAs, so that finish
// (which stops trusting them) would break it: a configured certificate
// issued by one (entries, the targets' client certificates, client
// certificates named in DSNs), a target serving a chain of one, and a
// PostgreSQL session (from sessions.postgres) whose client certificate
// one issued. What cannot be looked at counts too: it may need them.
// PgBouncer does not show its clients' certificates, so its clients are
// not seen.
func OldCAUsers(ctx context.Context, cfg *config.Config, set *sources.Set, old []*x509.Certificate, now time.Time) []string {
	var out []string
	issuedByOld := func(list []*x509.Certificate) (*x509.Certificate, *x509.Certificate) {
		for _, c := range list {
			for _, o := range old {
				if !c.Equal(o) && c.CheckSignatureFrom(o) == nil {
					return c, o
				}
			}
		}
		return nil, nil
	}
	file := func(what, configured string) {
		if configured == "" {
			return
		}
		list, err := TrustedCerts(cfg.Resolve(configured))
		if err != nil {
			out = append(out, fmt.Sprintf("%s: cannot be read, so it may still need the old CA: %v", what, err))
			return
		}
		if c, o := issuedByOld(list); c != nil {
			out = append(out, fmt.Sprintf("%s %s: serial %s is issued by the old CA %q", what, configured, certs.Serial(c), o.Subject.String()))
		}
	}
	for _, e := range cfg.Certificates {
		file("entry "+e.Name+" cert", e.Cert)
		file("entry "+e.Name+" combined", e.Combined)
	}
	for _, t := range cfg.Targets {
		file("target "+t.Name+" client_cert", t.ClientCert)
	}
	for _, d := range configuredDSNs(cfg) {
		file(d.field+" sslcert", cfg.ClientCertFile(d.dsn))
	}
	for _, t := range set.Prober.ProbeAll(ctx, set.Inspector.Inspect(now)) {
		switch c, o := issuedByOld(servedChain(t)); {
		case t.Err != nil:
			out = append(out, fmt.Sprintf("target %s (%s): cannot be probed, so it may still serve a certificate of the old CA: %v", t.Target.Name, t.Target.Address, t.Err))
		case c != nil:
			out = append(out, fmt.Sprintf("target %s (%s) serves serial %s, issued by the old CA %q", t.Target.Name, t.Target.Address, certs.Serial(c), o.Subject.String()))
		}
	}
	return append(out, oldCASessions(ctx, set.Postgres, old)...)
}

// servedChain is what a probe saw served.
func servedChain(t *targets.Report) []*x509.Certificate {
	if t.Err != nil {
		return nil
	}
	return t.Result.PeerCertificates
}

// oldCASessions lists the PostgreSQL servers of sessions.postgres where
// client sessions use a certificate issued by one of the old CAs.
func oldCASessions(ctx context.Context, servers []*sessions.Postgres, old []*x509.Certificate) []string {
	var out []string
	for _, src := range servers {
		issuers, err := src.ClientCertIssuers(ctx)
		if err != nil {
			out = append(out, fmt.Sprintf("sessions of %s cannot be read, so clients may still use certificates of the old CA: %v", src.Name(), err))
			continue
		}
		names := make([]string, 0, len(issuers))
		for dn := range issuers {
			names = append(names, dn)
		}
		sort.Strings(names)
		for _, dn := range names {
			cn := commonNameOf(dn)
			if cn != "" && slices.ContainsFunc(old, func(c *x509.Certificate) bool { return c.Subject.CommonName == cn }) {
				out = append(out, fmt.Sprintf("server %s: %d client sessions use a certificate issued by the old CA %q", src.Name(), issuers[dn], dn))
			}
		}
	}
	return out
}

// dnCN finds the common name in a distinguished name written the OpenSSL
// way (/CN=x/O=y, as pg_stat_ssl shows it) or the RFC 2253 way (CN=x,O=y).
var dnCN = regexp.MustCompile(`(?:^|[/,])\s*CN=((?:\\.|[^/,\\])*)`)

// dnEscape is one escaped character in a distinguished name's value.
var dnEscape = regexp.MustCompile(`\\(.)`)

// commonNameOf is the common name in dn, "" when it has none.
func commonNameOf(dn string) string {
	m := dnCN.FindStringSubmatch(dn)
	if m == nil {
		return ""
	}
	return dnEscape.ReplaceAllString(m[1], "$1")
}

// namedDSN is a configured DSN and the field that holds it.
type namedDSN struct {
	field string
	dsn   config.DSN
}

// configuredDSNs lists every DSN of the configuration: session sources,
// SQL reloads and the rotation's link check.
func configuredDSNs(cfg *config.Config) []namedDSN {
	var out []namedDSN
	for i, s := range cfg.Sessions.Postgres {
		out = append(out, namedDSN{fmt.Sprintf("sessions.postgres[%d].dsn", i), s.DSN})
	}
	for i, s := range cfg.Sessions.PgBouncer {
		out = append(out, namedDSN{fmt.Sprintf("sessions.pgbouncer[%d].dsn", i), s.DSN})
	}
	for i, s := range cfg.Renew.Services {
		if s.Reload.SQL != nil {
			out = append(out, namedDSN{fmt.Sprintf("renew.services[%d].reload.sql.dsn", i), config.DSN(s.Reload.SQL.DSN)})
		}
	}
	if lc := cfg.Renew.CARotation.LinkCheck; lc != nil {
		out = append(out, namedDSN{"renew.ca_rotation.link_check.dsn", config.DSN(lc.DSN)})
		if lc.AdminDSN != "" {
			out = append(out, namedDSN{"renew.ca_rotation.link_check.admin_dsn", config.DSN(lc.AdminDSN)})
		}
	}
	return out
}
