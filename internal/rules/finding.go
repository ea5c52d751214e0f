package rules

import (
	"fmt"
	"time"
)

// Finding is one judged fact: an OK row or a problem. check renders every
// finding; the collector exports the problems.
type Finding struct {
	Source Source `json:"source"`
	// Entry is the subject: a certificate entry (or "ca"), a target, a
	// session server ("pgbouncer/NAME", "pg_stat_ssl/NAME") or "renew".
	Entry string `json:"entry"`
	// Check names the row's kind (file, expiry, san, handshake, ...).
	Check string `json:"check"`
	// Code is the problem's code; empty for an OK row.
	Code   Code     `json:"code,omitempty"`
	Status Severity `json:"status"`
	Path   string   `json:"path,omitempty"`
	Detail string   `json:"detail"`
	// Acknowledged is the reason of the acknowledgement (audit.acknowledge)
	// that covers this problem: it keeps its code but is OK and no longer
	// a problem, so it does not alert.
	Acknowledged string `json:"acknowledged,omitempty"`
}

// Problem reports whether the finding is a problem: it has a code and no
// acknowledgement covers it.
func (f Finding) Problem() bool { return f.Code != "" && f.Acknowledged == "" }

// Result is the outcome of a whole check.
type Result struct {
	Status   Severity  `json:"status"`
	ExitCode int       `json:"exit_code"`
	Findings []Finding `json:"findings"`
	// Perf is the performance data of the status line.
	Perf []Perf `json:"perfdata,omitempty"`
	// Scans is what each target's TLS scan saw.
	Scans []ScanTarget `json:"scans,omitempty"`
}

// Summarize computes the overall status of findings.
func Summarize(findings []Finding) Result {
	r := Result{Status: OK, Findings: findings}
	for _, f := range findings {
		if f.Status.Worse(r.Status) {
			r.Status = f.Status
		}
	}
	r.ExitCode = int(r.Status)
	return r
}

// Counts returns how many findings have each status.
func (r Result) Counts() map[Severity]int {
	c := map[Severity]int{}
	for _, f := range r.Findings {
		c[f.Status]++
	}
	return c
}

// Failed is the result when nothing could be checked: a configuration
// that does not load.
func Failed(err error) Result {
	return Summarize([]Finding{problem(SourceConfig, "config", "load", "", ConfigInvalid, "%v", err)})
}

// ok builds an OK row.
func ok(src Source, entry, check, path, format string, args ...any) Finding {
	return Finding{Source: src, Entry: entry, Check: check, Status: OK, Path: path, Detail: fmt.Sprintf(format, args...)}
}

// problem builds a problem row; its severity is the code's, from Table.
func problem(src Source, entry, check, path string, code Code, format string, args ...any) Finding {
	return Finding{Source: src, Entry: entry, Check: check, Code: code, Status: SeverityOf(code), Path: path,
		Detail: fmt.Sprintf(format, args...)}
}

// humanDuration renders a duration for details: days, hours or minutes.
func humanDuration(d time.Duration) string {
	days := int(d.Hours() / 24)
	switch {
	case days >= 2:
		return fmt.Sprintf("%d days", days)
	case d >= time.Hour:
		n := int(d.Hours())
		return fmt.Sprintf("%d %s", n, plural(n, "hour", "hours"))
	default:
		n := int(d.Minutes())
		return fmt.Sprintf("%d %s", n, plural(n, "minute", "minutes"))
	}
}
