package rules

import (
	"strings"

	"github.com/magflow/pgtls_exporter/internal/config"
)

// Acknowledged is an acknowledgement that covers current findings of one
// subject.
type Acknowledged struct {
	Subject string
	Code    Code
	Match   string
	Reason  string
	// Findings is how many findings it covers.
	Findings int
}

// covers reports whether an acknowledgement covers a problem of the audit:
// same code and subject, and a match that is empty, the finding's check
// (a setting's name), its location, or a path suffix of it
// ("pg_hba.conf:12" covers "/etc/postgresql/pg_hba.conf:12").
func covers(a config.Acknowledgement, f Finding) bool {
	if f.Source != SourceAudit || string(f.Code) != a.Code || f.Entry != a.Subject {
		return false
	}
	m := a.Match
	return m == "" || m == f.Check || m == f.Path || strings.HasSuffix(f.Path, "/"+strings.TrimPrefix(m, "/"))
}

// Acknowledge turns the audit problems an acknowledgement covers into OK
// rows that keep their code and carry the reason, so that they stay
// visible without alerting. It returns every acknowledgement that covered
// something, in configuration order.
func Acknowledge(findings []Finding, acks []config.Acknowledgement) []Acknowledged {
	var out []Acknowledged
	for _, a := range acks {
		n := 0
		for i, f := range findings {
			if f.Problem() && covers(a, f) {
				findings[i].Status, findings[i].Acknowledged = OK, a.Reason
				n++
			}
		}
		if n > 0 {
			out = append(out, Acknowledged{Subject: a.Subject, Code: Code(a.Code), Match: a.Match, Reason: a.Reason, Findings: n})
		}
	}
	return out
}

// UnusedAcknowledgements are OK rows for the acknowledgements that cover
// no current finding: the finding is gone (or moved to another line), and
// the acknowledgement can go too.
func UnusedAcknowledgements(acks []config.Acknowledgement, used []Acknowledged) []Finding {
	var out []Finding
	for _, a := range acks {
		found := false
		for _, u := range used {
			found = found || (u.Subject == a.Subject && string(u.Code) == a.Code && u.Match == a.Match)
		}
		if !found {
			out = append(out, ok(SourceAudit, a.Subject, "acknowledge", a.Match,
				"the acknowledgement of %s covers no current finding: remove it, or fix its subject or match", a.Code))
		}
	}
	return out
}
