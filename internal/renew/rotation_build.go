package renew

import (
	"os"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
)

// buildRotation makes what a planned step installs, in memory: switch
// issues every entry under the new CA, and the rotation lays out the CA
// files and its state (prepare creates the new CA). id names the
// transaction, whose backup folder keeps the old CA key after finish.
func (r *runner) buildRotation(p *rotationPlan, id string) ([]newFile, []issued, error) {
	var entries []issued
	if p.Step == rotation.StepSwitch {
		var err error
		if entries, err = issueEntries(r.cfg, p.Entries, p.next(), p.Now); err != nil {
			return nil, nil, err
		}
		r.logIssued(entries)
	}
	caFiles, err := p.Files(backupDir(r.stateDir, id))
	if err != nil {
		return nil, nil, err
	}
	if p.Step == rotation.StepPrepare {
		r.log.Info("created the new CA (in memory, installed by this step)", "subject", p.New.Subject, "not_after", p.New.NotAfter,
			"cert", p.Paths.NewCert, "key", p.Paths.NewKey)
	}
	files := make([]newFile, 0, len(caFiles))
	for _, f := range caFiles {
		files = append(files, caFile(f))
	}
	return files, entries, nil
}

// caFile is a file of the rotation as the transaction installs it: a
// file that keeps its owner (and mode) takes them from the one it
// replaces, so servers that read it keep reading it.
func caFile(f rotation.File) newFile {
	nf := newFile{entry: config.CAName, role: f.Role, path: f.Path, data: f.Data, mode: f.Mode, owner: atomicfile.Unchanged(),
		noReplace: f.NoReplace, remove: f.Remove}
	if f.SameOwner {
		nf.owner = fileOwner(f.Path)
	}
	if fi, err := os.Stat(f.Path); err == nil && f.SameMode {
		nf.mode = fi.Mode().Perm()
	}
	return nf
}
