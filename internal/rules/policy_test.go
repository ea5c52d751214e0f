package rules

import (
	"slices"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/sessions"
)

func TestOldTLS(t *testing.T) {
	def := DefaultPolicy()
	for v, old := range map[string]bool{"SSLv3": true, "TLSv1": true, "TLSv1.0": true, "TLSv1.1": true, "TLSv1.2": false,
		"TLSv1.3": false, "": false, sessions.UnknownTLS: false} {
		if def.OldTLS(v) != old {
			t.Errorf("OldTLS(%q) = %v under the default policy", v, !old)
		}
	}
}

// TestMinTLSVersionJudgesSessions: one minimum TLS version for the audit,
// the probes and the sessions; with TLSv1.3 a TLS 1.2 session is old.
func TestMinTLSVersionJudgesSessions(t *testing.T) {
	cfg, err := config.Parse([]byte("audit: {policy: {min_tls_version: TLSv1.3}}\ntargets: [{name: db, address: \"db:5432\"}]\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := PolicyOf(cfg)
	r := &sessions.PostgresReport{Settings: sessions.Settings{SSL: "on", ServerVersion: "15.14"},
		Groups: []sessions.PostgresGroup{{Transport: sessions.TransportTLS, Version: "TLSv1.2", Database: "magflow", User: "app", Count: 2}}}
	i := slices.IndexFunc(PostgresFindings("db", r, nil, p), func(f Finding) bool { return f.Check == CheckTLSVersion })
	got := PostgresFindings("db", r, nil, p)[i]
	if got.Code != OldTLSVersion || got.Status != Critical || got.Detail != "2 connections use TLS older than 1.3: TLSv1.2 app@magflow 2" {
		t.Fatalf("TLS 1.2 session under min_tls_version TLSv1.3: %+v", got)
	}
	if !p.OldTLS("TLSv1.2") || p.OldTLS("TLSv1.3") {
		t.Fatal("the probes' judgement does not follow min_tls_version")
	}
}

// TestRenewalPolicy: renew judges an entry with renew_before as its
// warning threshold.
func TestRenewalPolicy(t *testing.T) {
	cfg, err := config.Parse([]byte("thresholds: {warn_before: 20d, crit_before: 10d}\nrenew: {renew_before: 5d}\ntargets: [{name: db, address: \"db:5432\"}]\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := PolicyOf(cfg).Renewal()
	if r.WarnBefore != 5*24*3600e9 || r.CritBefore != 5*24*3600e9 {
		t.Fatalf("renewal policy %+v", r)
	}
}
