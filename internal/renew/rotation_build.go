package renew

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/regfile"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// buildRotation makes what a planned step installs, in memory: prepare
// creates the new CA and the bundle, switch issues every entry under the
// new CA, finish makes the new CA the configured one. The rotation state
// file is among the files, so the phase changes with them or not at all.
// id names the transaction (finish records where the old CA key goes).
func (r *runner) buildRotation(p *rotationPlan, id string) ([]newFile, []issued, error) {
	var (
		files   []newFile
		entries []issued
		st      renewstate.Rotation
	)
	if p.state != nil {
		st = *p.state
	}
	st.Phase, st.Since = rotation.Reaches(p.Step), p.Now
	switch p.Step {
	case rotation.StepPrepare:
		rc := r.cfg.Renew.CA
		cert, key, err := issue.NewCA(p.NewCommonName, rc.KeyTypeOrDefault(), p.Now, rc.CAValidityDuration())
		if err != nil {
			return nil, nil, fmt.Errorf("create the new CA: %w", err)
		}
		keyPEM, err := issue.EncodeKey(key, issue.PKCS8)
		if err != nil {
			return nil, nil, fmt.Errorf("encode the new CA key: %w", err)
		}
		r.log.Info("created the new CA (in memory, installed by this step)", "subject", cert.Subject.String(), "not_after", cert.NotAfter,
			"cert", p.Paths.NewCert, "key", p.Paths.NewKey)
		p.New = rotation.CAInfo(cert)
		st = renewstate.Rotation{Phase: renewstate.PhasePrepared, Started: p.Now, Since: p.Now, OldCA: p.Old, NewCA: p.New,
			NewCert: p.Paths.NewCert, NewKey: p.Paths.NewKey, Bundle: p.Paths.Bundle}
		files = append(files,
			newFile{entry: config.CAName, role: roleNewCAKey, path: p.Paths.NewKey, data: keyPEM, mode: keyMode, owner: atomicfile.Unchanged(), noReplace: true},
			newFile{entry: config.CAName, role: roleNewCACert, path: p.Paths.NewCert, data: issue.EncodeCertificate(cert), mode: certMode, owner: atomicfile.Unchanged(), noReplace: true})
		files = append(files, trustFiles(p.Paths, append(rotation.EncodeCerts(p.trusted), issue.EncodeCertificate(cert)...))...)
	case rotation.StepSwitch:
		var err error
		if entries, err = issueEntries(r.cfg, p.Entries, p.next, p.Now); err != nil {
			return nil, nil, err
		}
		r.logIssued(entries)
	case rotation.StepFinish:
		keyPEM, err := regfile.Read(p.Paths.NewKey, regfile.MaxSmall)
		if err != nil {
			return nil, nil, fmt.Errorf("read the new CA key: %w", err)
		}
		files = append(files, trustFiles(p.Paths, issue.EncodeCertificate(p.next.cert))...)
		files = append(files, newFile{entry: config.CAName, role: roleCAKey, path: p.Paths.CAKey, data: keyPEM, mode: keyMode, owner: fileOwner(p.Paths.CAKey)})
		for _, f := range []struct{ role, path string }{{roleNewCAKey, p.Paths.NewKey}, {roleNewCACert, p.Paths.NewCert}} {
			files = append(files, newFile{entry: config.CAName, role: f.role, path: f.path, mode: keyMode, owner: atomicfile.Unchanged(), remove: true})
		}
		if rotation.Exists(p.Paths.CAKey) {
			st.RetiredKey = filepath.Join(backupDir(r.stateDir, id), config.CAName+"."+roleCAKey)
		}
	}
	data, err := renewstate.EncodeRotation(&st)
	if err != nil {
		return nil, nil, err
	}
	files = append(files, newFile{entry: config.CAName, role: roleRotation, path: p.Paths.State, data: data, mode: 0o644, owner: atomicfile.Unchanged()})
	return files, entries, nil
}

// trustFiles lays out what every trust file gets: ca.cert, the bundle for
// clients and the other trust files.
func trustFiles(paths rotation.Paths, pem []byte) []newFile {
	out := []newFile{keptFile(config.CAName, roleCACert, paths.CACert, pem, certMode),
		keptFile(config.CAName, roleBundle, paths.Bundle, pem, certMode)}
	for i, t := range paths.Trust {
		out = append(out, keptFile(config.CAName, fmt.Sprintf("%s-%d", roleTrust, i+1), t, pem, certMode))
	}
	return out
}

// keptFile replaces a file keeping its owner and permission bits (mode
// for a new file): servers that read it keep reading it.
func keptFile(entry, role, path string, data []byte, mode fs.FileMode) newFile {
	owner := atomicfile.Unchanged()
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
		owner = fileOwner(path)
	}
	return newFile{entry: entry, role: role, path: path, data: data, mode: mode, owner: owner}
}
