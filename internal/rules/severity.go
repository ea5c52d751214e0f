package rules

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity is a finding's verdict; its value is the Nagios exit code.
type Severity int

// Severities; a problem is any finding that is not OK.
const (
	OK Severity = iota
	Warning
	Critical
	Unknown
)

// String is the Nagios name: OK, WARNING, CRITICAL, UNKNOWN.
func (s Severity) String() string {
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

// Label is the value of the severity label of pgtls_problem and of the
// alerts: ok, warning, critical, unknown.
func (s Severity) Label() string { return strings.ToLower(s.String()) }

// MarshalJSON writes the severity by name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity written by MarshalJSON.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("severity: %w", err)
	}
	for _, st := range []Severity{OK, Warning, Critical, Unknown} {
		if st.String() == name {
			*s = st
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", name)
}

// Worse reports whether s should decide an overall status over t:
// CRITICAL > WARNING > UNKNOWN > OK.
func (s Severity) Worse(t Severity) bool { return s.rank() > t.rank() }

func (s Severity) rank() int {
	switch s {
	case OK:
		return 0
	case Unknown:
		return 1
	case Warning:
		return 2
	default:
		return 3
	}
}
