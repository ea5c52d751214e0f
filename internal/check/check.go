// Package check turns reports into findings with Nagios-style severities,
// renders them as a table or JSON, and gives the exit code of the check
// command (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
package check

import (
	"encoding/json"
	"fmt"
	"time"
)

// Status is a finding's severity; its value is the Nagios exit code.
type Status int

// Severities in increasing order of concern (UNKNOWN is reported only when
// nothing is worse).
const (
	OK Status = iota
	Warning
	Critical
	Unknown
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	default:
		return "UNKNOWN"
	}
}

// MarshalJSON writes the status by name.
func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a status written by MarshalJSON.
func (s *Status) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	for _, st := range []Status{OK, Warning, Critical, Unknown} {
		if st.String() == name {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", name)
}

// worse reports whether s should decide the overall status over t:
// CRITICAL > WARNING > UNKNOWN > OK.
func (s Status) worse(t Status) bool { return s.rank() > t.rank() }

func (s Status) rank() int {
	return map[Status]int{OK: 0, Unknown: 1, Warning: 2, Critical: 3}[s]
}

// Finding is one judged fact.
type Finding struct {
	Entry  string `json:"entry"`
	Check  string `json:"check"`
	Status Status `json:"status"`
	Path   string `json:"path,omitempty"`
	Detail string `json:"detail"`
}

// Thresholds decide when an expiry becomes a warning or critical.
type Thresholds struct {
	WarnBefore time.Duration
	CritBefore time.Duration
}

// Result is the outcome of a whole check.
type Result struct {
	Status   Status    `json:"status"`
	ExitCode int       `json:"exit_code"`
	Findings []Finding `json:"findings"`
}

// Summarize computes the overall status of findings.
func Summarize(findings []Finding) Result {
	r := Result{Status: OK, Findings: findings}
	for _, f := range findings {
		if f.Status.worse(r.Status) {
			r.Status = f.Status
		}
	}
	r.ExitCode = int(r.Status)
	return r
}

// Counts returns how many findings have each status.
func (r Result) Counts() map[Status]int {
	c := map[Status]int{}
	for _, f := range r.Findings {
		c[f.Status]++
	}
	return c
}

// Failed is the result when nothing could be checked, e.g. a bad config.
func Failed(err error) Result {
	return Summarize([]Finding{{Entry: "config", Check: "load", Status: Unknown, Detail: err.Error()}})
}

func expiryDetail(serial string, notAfter, now time.Time) string {
	left := notAfter.Sub(now)
	when := notAfter.UTC().Format(time.RFC3339)
	if left < 0 {
		return fmt.Sprintf("serial %s expired %s (%s ago)", serial, when, humanDuration(-left))
	}
	return fmt.Sprintf("serial %s expires %s (in %s)", serial, when, humanDuration(left))
}

func humanDuration(d time.Duration) string {
	days := int(d.Hours() / 24)
	switch {
	case days >= 2:
		return noun{"day", "days"}.of(days)
	case d >= time.Hour:
		return noun{"hour", "hours"}.of(int(d.Hours()))
	default:
		return noun{"minute", "minutes"}.of(int(d.Minutes()))
	}
}
