package rotation

import (
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/regfile"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
)

// File roles of the CA in renew's journal: the configured CA, and a
// rotation's new CA, bundle for clients, other trust files and state.
const (
	RoleCACert    = "ca-cert"
	RoleCAKey     = "ca-key"
	RoleNewCACert = "ca-next-cert"
	RoleNewCAKey  = "ca-next-key"
	RoleBundle    = "ca-bundle"
	RoleTrust     = "trust-file" // numbered: trust-file-1, ...
	RoleRotation  = "rotation-state"
)

// Modes of the files a step creates.
const (
	certMode  = 0o644
	keyMode   = 0o600
	stateMode = 0o644
)

// File is one file of the CA that a step installs or removes.
type File struct {
	Role string
	Path string // absolute
	Data []byte
	Mode fs.FileMode
	// SameOwner keeps the owner of the file replaced; SameMode keeps its
	// permission bits too (Mode is then for a new file). Servers that
	// read it keep reading it.
	SameOwner, SameMode bool
	// NoReplace: never installed over an existing file (a new CA).
	NoReplace bool
	// Remove: taken away, not replaced.
	Remove bool
}

// Files makes what a planned step writes, in memory: prepare creates the
// new CA (New describes it then) and the bundle, finish makes the new CA
// the configured one; switch writes only the state, its reissue being the
// caller's. The rotation state file is among the files, so the phase
// changes with them or not at all. backupDir is the transaction's backup
// folder, where finish records the old CA key goes.
func (p *Plan) Files(backupDir string) ([]File, error) {
	var (
		files []File
		st    renewstate.Rotation
	)
	if p.State != nil {
		st = *p.State
	}
	st.Phase, st.Since = Reaches(p.Step), p.Now
	switch p.Step {
	case StepPrepare:
		rc := p.cfg.Renew.CA
		cert, key, err := issue.NewCA(p.NewCommonName, rc.KeyTypeOrDefault(), p.Now, rc.CAValidityDuration())
		if err != nil {
			return nil, fmt.Errorf("create the new CA: %w", err)
		}
		keyPEM, err := issue.EncodeKey(key, issue.PKCS8)
		if err != nil {
			return nil, fmt.Errorf("encode the new CA key: %w", err)
		}
		p.New = caInfo(cert)
		st = renewstate.Rotation{Phase: renewstate.PhasePrepared, Started: p.Now, Since: p.Now, OldCA: p.Old, NewCA: p.New,
			NewCert: p.Paths.NewCert, NewKey: p.Paths.NewKey, Bundle: p.Paths.Bundle}
		files = append(files,
			File{Role: RoleNewCAKey, Path: p.Paths.NewKey, Data: keyPEM, Mode: keyMode, NoReplace: true},
			File{Role: RoleNewCACert, Path: p.Paths.NewCert, Data: issue.EncodeCertificate(cert), Mode: certMode, NoReplace: true})
		files = append(files, trustFiles(p.Paths, append(encodeCerts(p.Trusted), issue.EncodeCertificate(cert)...))...)
	case StepFinish:
		keyPEM, err := regfile.Read(p.Paths.NewKey, regfile.MaxSmall)
		if err != nil {
			return nil, fmt.Errorf("read the new CA key: %w", err)
		}
		files = append(files, trustFiles(p.Paths, issue.EncodeCertificate(p.NextCert))...)
		files = append(files, File{Role: RoleCAKey, Path: p.Paths.CAKey, Data: keyPEM, Mode: keyMode, SameOwner: true})
		for _, f := range []struct{ role, path string }{{RoleNewCAKey, p.Paths.NewKey}, {RoleNewCACert, p.Paths.NewCert}} {
			files = append(files, File{Role: f.role, Path: f.path, Mode: keyMode, Remove: true})
		}
		if exists(p.Paths.CAKey) {
			st.RetiredKey = filepath.Join(backupDir, config.CAName+"."+RoleCAKey)
		}
	}
	data, err := renewstate.EncodeRotation(&st)
	if err != nil {
		return nil, err
	}
	return append(files, File{Role: RoleRotation, Path: p.Paths.State, Data: data, Mode: stateMode}), nil
}

// trustFiles lays out what every trust file gets: ca.cert, the bundle for
// clients and the other trust files.
func trustFiles(paths Paths, pem []byte) []File {
	out := []File{{Role: RoleCACert, Path: paths.CACert, Data: pem, Mode: certMode, SameOwner: true, SameMode: true},
		{Role: RoleBundle, Path: paths.Bundle, Data: pem, Mode: certMode, SameOwner: true, SameMode: true}}
	for i, t := range paths.Trust {
		out = append(out, File{Role: fmt.Sprintf("%s-%d", RoleTrust, i+1), Path: t, Data: pem, Mode: certMode, SameOwner: true, SameMode: true})
	}
	return out
}
