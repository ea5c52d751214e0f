package renew

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/regfile"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
)

// txn applies one journaled change of certificate files.
type txn struct {
	stateDir   string
	j          *Journal
	log        *slog.Logger
	checkpoint func(step string)
	// leftover records cleanup that could not be done while every
	// configured file is as it should be (a staged file on a read-only
	// mount): worth telling, not a failure.
	leftover func(what string)
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// begin journals the transaction, backs up the files it replaces and
// stages the new ones beside them. Nothing configured has changed when it
// returns; on error it undoes what it did. rot is set for a phase of a CA
// rotation.
func begin(t *txn, id string, now time.Time, reload bool, entries []issued, extra []newFile, rot *JournalRotation) error {
	t.j = &Journal{ID: id, Started: now, Phase: phasePreparing, Reload: reload,
		BackupDir: backupDir(t.stateDir, id), Rotation: rot}
	var files []newFile
	files = append(files, extra...)
	for _, is := range entries {
		t.j.Entries = append(t.j.Entries, JournalEntry{Name: is.plan.Entry.Name, Reason: joinReasons(is.plan.Reasons),
			OldSerial: is.plan.OldSerial, NewSerial: certs.Serial(is.cert), NotAfter: is.cert.NotAfter})
		files = append(files, is.files...)
	}
	// A CA rotation's state file goes last: it says the phase is reached
	// once every other file is in place.
	slices.SortStableFunc(files, func(a, b newFile) int {
		return cmp.Compare(boolInt(a.role == rotation.RoleRotation), boolInt(b.role == rotation.RoleRotation))
	})
	if err := checkWritable(files); err != nil {
		return err
	}
	old := make([][]byte, len(files))
	for i, f := range files {
		jf := JournalFile{Entry: f.entry, Role: f.role, Path: f.path, Staged: stagedPath(f.path),
			NewSHA256: sum(f.data), Keep: f.keep, NoReplace: f.noReplace, Remove: f.remove}
		if f.remove {
			jf.NewSHA256 = ""
		}
		data, fi, err := readOld(f.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("entry %s: read current %s file %s: %w", f.entry, f.role, f.path, err)
		default:
			st, _ := fi.Sys().(*syscall.Stat_t)
			jf.Existed, jf.OldSHA256, jf.OldMode = true, sum(data), fi.Mode().Perm()
			jf.Backup = filepath.Join(t.j.BackupDir, f.entry+"."+f.role)
			if st != nil {
				jf.OldUID, jf.OldGID = int(st.Uid), int(st.Gid)
			}
			old[i] = data
		}
		t.j.Files = append(t.j.Files, jf)
	}
	if err := saveJournal(t.stateDir, t.j); err != nil {
		return err
	}
	t.checkpoint("journal-preparing")
	if err := writeBackup(t.j, old); err != nil {
		return errors.Join(err, t.abandon())
	}
	t.log.Info("backed up the current files", "dir", t.j.BackupDir)
	t.checkpoint("backed-up")
	for i, f := range files {
		if f.remove {
			continue // nothing to stage: apply takes the file away
		}
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return errors.Join(fmt.Errorf("create folder for %s: %w", f.path, err), t.abandon())
		}
		if err := atomicfile.WriteNew(t.j.Files[i].Staged, f.data, f.mode, f.owner); err != nil {
			return errors.Join(fmt.Errorf("entry %s: stage new %s file: %w", f.entry, f.role, err), t.abandon())
		}
	}
	t.checkpoint("staged")
	t.j.Phase = phasePrepared
	if err := saveJournal(t.stateDir, t.j); err != nil {
		return errors.Join(err, t.abandon())
	}
	t.checkpoint("journal-prepared")
	return nil
}

// readOld reads the file a new one replaces.
func readOld(path string) ([]byte, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	data, err := regfile.Read(path, regfile.MaxSmall)
	return data, fi, err
}

// abandon undoes a transaction that renamed nothing yet: staged files and
// the backup go, and so does the journal once every configured file is
// shown to hold what it held before (what cannot be removed is a leftover).
func (t *txn) abandon() error {
	for _, f := range t.j.Files {
		if err := removeStaged(f.Staged); err != nil {
			t.leftover(fmt.Sprintf("staged file %s could not be removed: %v", f.Staged, err))
		}
	}
	if err := os.RemoveAll(t.j.BackupDir); err != nil {
		t.leftover(fmt.Sprintf("backup %s could not be removed: %v", t.j.BackupDir, err))
	}
	if err := t.unchanged(); err != nil {
		return err
	}
	return removeJournal(t.stateDir)
}

// unchanged checks that every configured file holds what it held before.
func (t *txn) unchanged() error {
	var errs []error
	for _, f := range t.j.Files {
		if err := matchesOld(f); err != nil {
			errs = append(errs, fmt.Errorf("entry %s: %s file %s is not as before: %w", f.Entry, f.Role, f.Path, err))
		}
	}
	return errors.Join(errs...)
}

// apply moves every staged file into place (finishing an interrupted
// apply), syncs the folders and marks the transaction installed. It stops
// after the rename under way when ctx ends (a signal): the caller rolls
// back.
func (t *txn) apply(ctx context.Context) error {
	for _, f := range t.j.Files {
		done, err := installFile(f)
		if err != nil {
			return fmt.Errorf("entry %s: install %s file %s: %w", f.Entry, f.Role, f.Path, err)
		}
		if done {
			t.log.Debug("file in place", "entry", f.Entry, "role", f.Role, "path", f.Path)
			t.checkpoint("renamed " + f.Entry + " " + f.Role)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted after installing %s file %s: %w", f.Role, f.Path, context.Cause(ctx))
		}
	}
	if err := syncDirs(t.j.Files); err != nil {
		return err
	}
	t.j.Phase = phaseInstalled
	if err := saveJournal(t.stateDir, t.j); err != nil {
		return err
	}
	t.checkpoint("journal-installed")
	return nil
}

// installFile moves f's staged file into place (or takes a Remove file
// away). It reports false when that had already happened, and fails when
// neither the staged file nor the new content in place is there.
func installFile(f JournalFile) (bool, error) {
	if f.Remove {
		if _, err := os.Lstat(f.Path); errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return true, os.Remove(f.Path)
	}
	if _, err := os.Lstat(f.Staged); errors.Is(err, fs.ErrNotExist) {
		if data, err := regfile.Read(f.Path, regfile.MaxSmall); err == nil && sum(data) == f.NewSHA256 {
			return false, nil
		}
		return false, errors.New("the staged file is gone and the new content is not in place")
	}
	if !f.NoReplace {
		return true, os.Rename(f.Staged, f.Path)
	}
	if err := os.Link(f.Staged, f.Path); err != nil {
		data, rerr := regfile.Read(f.Path, regfile.MaxSmall)
		if !errors.Is(err, fs.ErrExist) || rerr != nil || sum(data) != f.NewSHA256 {
			return false, fmt.Errorf("refusing to replace an existing file: %w", err)
		}
	}
	return true, os.Remove(f.Staged)
}

// restore puts the old files back (and removes files that did not exist,
// except a new CA's), whatever state each file is in.
func (t *txn) restore(reason error) error {
	t.j.Phase = phaseRollingBack
	if reason != nil && t.j.Error == "" {
		t.j.Error = reason.Error()
	}
	if err := saveJournal(t.stateDir, t.j); err != nil {
		return err
	}
	t.checkpoint("journal-rolling-back")
	var errs []error
	for _, f := range t.j.Files {
		if matchesOld(f) == nil {
			// Never replaced, or already put back: only its staged file may remain.
			if err := removeStaged(f.Staged); err != nil {
				t.leftover(fmt.Sprintf("staged file %s could not be removed: %v", f.Staged, err))
			}
			continue
		}
		if err := restoreFile(f); err != nil {
			errs = append(errs, fmt.Errorf("entry %s: restore %s file %s: %w", f.Entry, f.Role, f.Path, err))
		}
	}
	if err := syncDirs(t.j.Files); err != nil {
		errs = append(errs, err)
	}
	t.checkpoint("restored")
	if err := t.unchanged(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, err := range errs { // every file is as before: what failed was cleanup
		t.leftover(err.Error())
	}
	return nil
}

func restoreFile(f JournalFile) error {
	switch {
	case f.Existed:
		data, err := regfile.Read(f.Backup, regfile.MaxSmall)
		if err != nil {
			return fmt.Errorf("read backup: %w", err)
		}
		if sum(data) != f.OldSHA256 {
			return fmt.Errorf("backup %s does not hold the old content (checksum differs)", f.Backup)
		}
		if err := atomicfile.WriteNew(f.Staged, data, f.OldMode, atomicfile.Owner{UID: f.OldUID, GID: f.OldGID}); err != nil {
			return err
		}
		return os.Rename(f.Staged, f.Path)
	case !f.Keep:
		if err := os.Remove(f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return removeStaged(f.Staged)
}

// syncDirs syncs every folder holding a journaled file.
func syncDirs(files []JournalFile) error {
	seen := map[string]bool{}
	var errs []error
	for _, f := range files {
		dir := filepath.Dir(f.Path)
		if !seen[dir] {
			seen[dir] = true
			errs = append(errs, atomicfile.SyncDir(dir))
		}
	}
	return errors.Join(errs...)
}

// finish ends the transaction.
func (t *txn) finish() error {
	if err := removeJournal(t.stateDir); err != nil {
		return err
	}
	t.checkpoint("journal-removed")
	return nil
}

// boolInt is 1 for true, 0 for false.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
