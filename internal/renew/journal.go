package renew

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/regfile"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// Journal phases. The journal is written before anything outside the
// state folder changes and removed when the transaction is over, so its
// presence at start means the last run was interrupted.
const (
	// phasePreparing: backups and staged files are being written; no
	// configured file has changed yet. Recovery removes what was staged.
	phasePreparing = "preparing"
	// phasePrepared: backups and staged files are complete and synced;
	// renames may have started. Recovery finishes the renames.
	phasePrepared = "prepared"
	// phaseInstalled: every new file is in place; installing into services,
	// reloading and verifying may have started. Recovery does them again.
	phaseInstalled = "installed"
	// phaseRollingBack: the new files failed; the old ones are being put
	// back. Recovery puts them back again.
	phaseRollingBack = "rolling_back"
)

// Journal format versions: 2 adds CA rotation steps (rotation, and files
// a step removes), which a renew knowing only 1 must not take for a plain
// renewal; a plain renewal's journal stays 1.
const (
	journalVersion         = 1
	journalRotationVersion = 2
)

// Journal describes one renew transaction. It holds paths, modes, owners,
// serials and content hashes, never key material.
type Journal struct {
	Version int       `json:"version"`
	ID      string    `json:"id"`
	Started time.Time `json:"started"`
	Phase   string    `json:"phase"`
	// Reload is false for --no-reload runs: nothing is installed into
	// services, reloaded or verified.
	Reload bool `json:"reload"`
	// BackupDir holds copies of the replaced files.
	BackupDir string         `json:"backup_dir"`
	Entries   []JournalEntry `json:"entries"`
	Files     []JournalFile  `json:"files"`
	// Error is why the transaction is being rolled back.
	Error string `json:"error,omitempty"`
	// Rotation is set when the transaction is a phase of a CA rotation.
	Rotation *JournalRotation `json:"rotation,omitempty"`
}

// JournalRotation is the CA rotation phase a transaction reaches.
type JournalRotation struct {
	// Phase is reached when the transaction completes: prepared, switched
	// or finished (renewstate phases).
	Phase string `json:"phase"`
	// NewCACert is the new CA's certificate file (absolute): after switch
	// every served chain must lead to it alone.
	NewCACert string `json:"new_ca_cert"`
}

// JournalEntry is one renewed certificate entry.
type JournalEntry struct {
	Name      string    `json:"name"`
	Reason    string    `json:"reason"`
	OldSerial string    `json:"old_serial,omitempty"`
	NewSerial string    `json:"new_serial"`
	NotAfter  time.Time `json:"not_after"`
}

// JournalFile is one file the transaction replaces or creates.
type JournalFile struct {
	// Entry is the certificate entry, or "ca" for the CA's files.
	Entry string `json:"entry"`
	Role  string `json:"role"`
	// Path is the absolute path the file is installed at.
	Path string `json:"path"`
	// Staged is the new content, written beside Path.
	Staged    string `json:"staged"`
	NewSHA256 string `json:"new_sha256"`
	// Existed tells whether Path held a file before; if so Backup holds a
	// copy with OldSHA256, and OldMode/OldUID/OldGID are restored with it.
	Existed   bool        `json:"existed"`
	Backup    string      `json:"backup,omitempty"`
	OldSHA256 string      `json:"old_sha256,omitempty"`
	OldMode   fs.FileMode `json:"old_mode,omitempty"`
	OldUID    int         `json:"old_uid,omitempty"`
	OldGID    int         `json:"old_gid,omitempty"`
	// Keep files (a CA created by --init) are never removed by a rollback.
	Keep bool `json:"keep,omitempty"`
	// NoReplace files (the CA's) are linked into place, never over a file.
	NoReplace bool `json:"no_replace,omitempty"`
	// Remove files are taken away (their backup keeps them), not replaced.
	Remove bool `json:"remove,omitempty"`
}

// journalPath is the journal in a state folder.
func journalPath(stateDir string) string { return filepath.Join(stateDir, renewstate.JournalFile) }

// saveJournal writes the journal atomically (0600).
func saveJournal(stateDir string, j *Journal) error {
	j.Version = journalVersion
	if j.Rotation != nil {
		j.Version = journalRotationVersion
	}
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("encode journal: %w", err)
	}
	if err := atomicfile.Write(journalPath(stateDir), append(data, '\n'), 0o600, atomicfile.Unchanged()); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

// loadJournal reads the journal; (nil, nil) when there is none.
func loadJournal(stateDir string) (*Journal, error) {
	p := journalPath(stateDir)
	data, err := regfile.Read(p, regfile.MaxSmall)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read journal %s: %w", p, err)
	}
	var j Journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("journal %s does not parse: %w", p, err)
	}
	if j.Version != journalVersion && (j.Version != journalRotationVersion || j.Rotation == nil) {
		return nil, fmt.Errorf("journal %s: version %d, want %d (%d for a CA rotation)", p, j.Version, journalVersion, journalRotationVersion)
	}
	switch j.Phase {
	case phasePreparing, phasePrepared, phaseInstalled, phaseRollingBack:
	default:
		return nil, fmt.Errorf("journal %s: unknown phase %q", p, j.Phase)
	}
	return &j, nil
}

// removeJournal ends the transaction durably.
func removeJournal(stateDir string) error {
	if err := os.Remove(journalPath(stateDir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove journal: %w", err)
	}
	return atomicfile.SyncDir(stateDir)
}

// entryNames lists the journal's entries.
func (j *Journal) entryNames() []string {
	out := make([]string, len(j.Entries))
	for i, e := range j.Entries {
		out[i] = e.Name
	}
	return out
}
