package renew

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

const backupsDir = renewstate.BackupsDir

// manifestFile describes a backup folder for a person restoring by hand.
const manifestFile = "manifest.json"

// manifest lists what a backup folder holds and where each file belongs.
type manifest struct {
	ID      string         `json:"id"`
	Entries []JournalEntry `json:"entries"`
	Files   []backupFile   `json:"files"`
}

type backupFile struct {
	Entry  string      `json:"entry"`
	Role   string      `json:"role"`
	Backup string      `json:"backup"`
	Path   string      `json:"restore_to"`
	Mode   fs.FileMode `json:"mode"`
	UID    int         `json:"uid"`
	GID    int         `json:"gid"`
	SHA256 string      `json:"sha256"`
}

// writeBackup copies the replaced files (old[i] for j.Files[i]) into the
// backup folder, 0600 in a 0700 folder, with a manifest, all synced.
func writeBackup(j *Journal, old [][]byte) error {
	if err := os.MkdirAll(j.BackupDir, 0o700); err != nil {
		return fmt.Errorf("create backup folder: %w", err)
	}
	m := manifest{ID: j.ID, Entries: j.Entries}
	for i, f := range j.Files {
		if !f.Existed {
			continue
		}
		if err := atomicfile.WriteNew(f.Backup, old[i], 0o600, atomicfile.Unchanged()); err != nil {
			return fmt.Errorf("back up %s: %w", f.Path, err)
		}
		m.Files = append(m.Files, backupFile{Entry: f.Entry, Role: f.Role, Backup: filepath.Base(f.Backup), Path: f.Path,
			Mode: f.OldMode, UID: f.OldUID, GID: f.OldGID, SHA256: f.OldSHA256})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode backup manifest: %w", err)
	}
	if err := atomicfile.WriteNew(filepath.Join(j.BackupDir, manifestFile), append(data, '\n'), 0o600, atomicfile.Unchanged()); err != nil {
		return fmt.Errorf("write backup manifest: %w", err)
	}
	if err := atomicfile.SyncDir(j.BackupDir); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(j.BackupDir))
}

// backupDir is the backup folder of transaction id.
func backupDir(stateDir, id string) string { return filepath.Join(stateDir, backupsDir, id) }

// pruneBackups removes the oldest backup folders beyond keep. Folder names
// are UTC timestamps, so their order is their age. A folder that holds a
// CA key (the old CA's after a rotation) is never removed and not counted:
// a person decides when a retired CA key may go.
func pruneBackups(stateDir string, keep int) ([]string, error) {
	dir := filepath.Join(stateDir, backupsDir)
	list, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var names []string
	for _, e := range list {
		if e.IsDir() && !holdsCAKey(filepath.Join(dir, e.Name())) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var removed []string
	for len(names) > keep {
		if err := os.RemoveAll(filepath.Join(dir, names[0])); err != nil {
			return removed, fmt.Errorf("remove old backup %s: %w", names[0], err)
		}
		removed = append(removed, names[0])
		names = names[1:]
	}
	return removed, nil
}

// holdsCAKey reports whether a backup folder's manifest lists a CA key.
// A folder whose manifest cannot be read is judged by its file names.
func holdsCAKey(dir string) bool {
	var m manifest
	data, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err == nil && json.Unmarshal(data, &m) == nil {
		return slices.ContainsFunc(m.Files, func(f backupFile) bool { return isCAKeyRole(f.Role) })
	}
	list, _ := os.ReadDir(dir)
	return slices.ContainsFunc(list, func(e os.DirEntry) bool {
		return strings.HasSuffix(e.Name(), "."+rotation.RoleCAKey) || strings.HasSuffix(e.Name(), "."+rotation.RoleNewCAKey)
	})
}
