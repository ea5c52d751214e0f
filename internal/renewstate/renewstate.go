// Package renewstate is the layout of renew's state folder and the state
// file that `renew` writes and the exporter reads: when renew last ran,
// when it last succeeded, and what happened to each certificate entry.
package renewstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// Files and folders inside the state folder.
const (
	StateFile   = "state.json"   // this package's State, JSON
	JournalFile = "journal.json" // present only while a renew is unfinished
	LockFile    = "renew.lock"   // flock'ed by a running renew
	BackupsDir  = "backups"      // one folder per renew, the files it replaced
)

// Version is the state file format version.
const Version = 1

// Entry results.
const (
	// ResultRenewed: new files were installed, reloaded and verified.
	ResultRenewed = "renewed"
	// ResultUnchanged: the entry did not need renewal (or was not selected).
	ResultUnchanged = "unchanged"
	// ResultNotRenewed: it needed renewal but the run stopped before
	// touching it (e.g. no CA key); its files are as before.
	ResultNotRenewed = "not_renewed"
	// ResultRolledBack: new files were tried and undone; the old ones are
	// in place and served.
	ResultRolledBack = "rolled_back"
	// ResultRollbackFailed: undoing failed; a person must act.
	ResultRollbackFailed = "rollback_failed"
)

// Results lists every entry result, in a fixed order.
func Results() []string {
	return []string{ResultRenewed, ResultUnchanged, ResultNotRenewed, ResultRolledBack, ResultRollbackFailed}
}

// Outcomes of a run, one for each exit status of renew.
const (
	// OutcomeOK: renewed and verified, or nothing to do (exit 0).
	OutcomeOK = "ok"
	// OutcomeRolledBack: failed; nothing changed, or the change was undone
	// and the old certificates are served again (exit 1).
	OutcomeRolledBack = "rolled_back"
	// OutcomeNotRolledBack: failed and could not be undone (exit 2).
	OutcomeNotRolledBack = "not_rolled_back"
	// OutcomeRefused: the run refused to start, nothing was attempted;
	// State.Refused says why (exit 4).
	OutcomeRefused = "refused"
)

// Outcomes lists every outcome, in a fixed order.
func Outcomes() []string {
	return []string{OutcomeOK, OutcomeRolledBack, OutcomeNotRolledBack, OutcomeRefused}
}

// State is the content of the state file.
type State struct {
	Version int `json:"version"`
	// LastRun is when the last renew (not a dry run) finished.
	LastRun time.Time `json:"last_run"`
	// LastSuccess is when a renew last exited 0; zero if never.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// ExitCode of the last run: 0 renewed or nothing to do, 1 failed and
	// rolled back (old certificates in place), 2 failed and not rolled back,
	// 4 refused (nothing attempted).
	ExitCode int `json:"exit_code"`
	// Outcome of the last run, one of Outcomes. A file written before
	// outcomes were recorded gets the one its exit code meant then.
	Outcome string `json:"outcome"`
	// Refused says why the last run refused to start (outcome refused).
	Refused string `json:"refused,omitempty"`
	// Message summarises the last run.
	Message string `json:"message,omitempty"`
	// Entries by certificate entry name.
	Entries map[string]Entry `json:"entries"`
}

// Entry is what the last run did to one certificate entry.
type Entry struct {
	Result string `json:"result"`
	// Reason is why it was (or would have been) renewed.
	Reason string `json:"reason,omitempty"`
	// Error says what failed, when something did.
	Error string `json:"error,omitempty"`
	// Serial and NotAfter describe the certificate in the file after the run.
	Serial   string    `json:"serial,omitempty"`
	NotAfter time.Time `json:"not_after,omitzero"`
	// LastRenewed is when the entry was last renewed successfully.
	LastRenewed time.Time `json:"last_renewed,omitzero"`
}

// Path is the state file in a state folder.
func Path(stateDir string) string { return filepath.Join(stateDir, StateFile) }

// maxSize bounds what Read accepts.
const maxSize = 1 << 20

// Read reads and decodes the state file. A missing file is an error
// wrapping fs.ErrNotExist.
func Read(path string) (*State, error) {
	data, err := regfile.Read(path, maxSize)
	if err != nil {
		return nil, fmt.Errorf("read renew state: %w", err)
	}
	return Decode(data)
}

// Decode parses state file bytes.
func Decode(data []byte) (*State, error) {
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("renew state: %w", err)
	}
	if s.Version != Version {
		return nil, fmt.Errorf("renew state: version %d, want %d", s.Version, Version)
	}
	if s.LastRun.IsZero() {
		return nil, errors.New("renew state: last_run is missing")
	}
	if s.Outcome == "" {
		s.Outcome = legacyOutcome(s.ExitCode)
	}
	if !slices.Contains(Outcomes(), s.Outcome) {
		return nil, fmt.Errorf("renew state: unknown outcome %q", s.Outcome)
	}
	for name, e := range s.Entries {
		if !slices.Contains(Results(), e.Result) {
			return nil, fmt.Errorf("renew state: entry %q: unknown result %q", name, e.Result)
		}
	}
	return &s, nil
}

// legacyOutcome is the outcome of a state file written before outcomes
// were recorded, when renew's exit codes were 0, 1 and 2 alone.
func legacyOutcome(exitCode int) string {
	switch exitCode {
	case 0:
		return OutcomeOK
	case 1:
		return OutcomeRolledBack
	}
	return OutcomeNotRolledBack
}

// Write stores s atomically (0644: it holds no secrets).
func Write(path string, s *State) error {
	s.Version = Version
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode renew state: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o644, atomicfile.Unchanged()); err != nil {
		return fmt.Errorf("write renew state: %w", err)
	}
	return nil
}
