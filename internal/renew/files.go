package renew

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/magflow/pgtls_exporter/internal/atomicfile"
	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
)

// File modes renew writes.
const (
	certMode = 0o644
	keyMode  = 0o600
)

// isCAKeyRole reports whether files of a role hold a CA key.
func isCAKeyRole(role string) bool {
	return role == rotation.RoleCAKey || role == rotation.RoleNewCAKey
}

// newFile is one file a transaction installs.
type newFile struct {
	entry, role string
	path        string // absolute
	data        []byte
	mode        fs.FileMode
	owner       atomicfile.Owner
	keep        bool // never removed by a rollback (a new CA)
	noReplace   bool // never installed over an existing file
	remove      bool // taken away (kept in the backup), not replaced
}

// issued is a renewed entry: its new certificate and files.
type issued struct {
	plan  EntryPlan
	cert  *x509.Certificate
	files []newFile
}

// issueEntries signs a new certificate and key for each renewed entry and
// lays out their files: certificate 0644 owned as the old file; key and
// combined PEM as keyFileOwner decides.
func issueEntries(cfg *config.Config, plan *Plan, ca *signer, now time.Time) ([]issued, error) {
	var out []issued
	for _, ep := range plan.Renewing() {
		e := ep.Entry
		names := e.ExpectedNames
		if len(names) == 0 {
			return nil, fmt.Errorf("entry %s: expected_names is empty, so a new certificate would have no SANs", e.Name)
		}
		cert, key, err := issue.NewServerCertificate(issue.ServerRequest{CommonName: names[0], Names: names,
			KeyType: cfg.Renew.KeyTypeOrDefault(), Validity: cfg.Renew.ValidityDuration()}, ca.cert, ca.key, now)
		if err != nil {
			return nil, fmt.Errorf("entry %s: %w", e.Name, err)
		}
		keyPEM, err := issue.EncodeKey(key, issue.PKCS8)
		if err != nil {
			return nil, fmt.Errorf("entry %s: %w", e.Name, err)
		}
		certPEM := issue.EncodeCertificate(cert)
		is := issued{plan: ep, cert: cert}
		add := func(role, configured string, data []byte, mode fs.FileMode, keyOwner string) error {
			if configured == "" {
				return nil
			}
			path, err := filepath.Abs(cfg.Resolve(configured))
			if err != nil {
				return fmt.Errorf("entry %s: %s path %s: %w", e.Name, role, configured, err)
			}
			if err := refuseCAFile(cfg, path); err != nil {
				return fmt.Errorf("entry %s: %s file %s: %w", e.Name, role, configured, err)
			}
			owner := fileOwner(path)
			if mode == keyMode {
				if owner, mode, err = keyFileOwner(path, keyOwner); err != nil {
					return fmt.Errorf("entry %s: %s file %s: %w", e.Name, role, configured, err)
				}
			}
			is.files = append(is.files, newFile{entry: e.Name, role: role, path: path, data: data, mode: mode, owner: owner})
			return nil
		}
		combined := append(append([]byte{}, certPEM...), keyPEM...)
		if err := errors.Join(
			add("key", e.Key, keyPEM, keyMode, e.KeyOwner),
			add("combined", e.Combined, combined, keyMode, e.KeyOwner),
			add("cert", e.Cert, certPEM, certMode, ""),
		); err != nil {
			return nil, err
		}
		out = append(out, is)
	}
	return out, nil
}

// refuseCAFile refuses to write an entry's file over the CA's certificate
// or key, whatever path spelling or link leads there.
func refuseCAFile(cfg *config.Config, path string) error {
	target, err := os.Stat(path)
	if err != nil {
		return nil // a new file cannot be the CA's
	}
	for _, ca := range []string{cfg.CA.Cert, cfg.CA.Key} {
		if ca == "" {
			continue
		}
		if fi, err := os.Stat(cfg.Resolve(ca)); err == nil && os.SameFile(fi, target) {
			return fmt.Errorf("is the CA's file %s: refusing to overwrite it", ca)
		}
	}
	return nil
}

// keptKeyMode is the mode a new key or combined PEM gets: the old file's
// permission bits when they give nothing beyond owner read-write and group
// read (0640, the root-owned form PostgreSQL accepts, stays readable by the
// server's group), else 0600.
func keptKeyMode(path string) fs.FileMode {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&^0o640 != 0 || fi.Mode().Perm()&0o400 == 0 {
		return keyMode
	}
	return fi.Mode().Perm()
}

// caFiles lays out a new CA's files: the key 0600 for the running user,
// the certificate 0644; neither is ever installed over an existing file.
func caFiles(cfg *config.Config, ca *signer) ([]newFile, error) {
	keyPEM, err := issue.EncodeKey(ca.key, issue.PKCS8)
	if err != nil {
		return nil, fmt.Errorf("encode CA key: %w", err)
	}
	keyPath, err := filepath.Abs(cfg.Resolve(cfg.CA.Key))
	if err != nil {
		return nil, err
	}
	certPath, err := filepath.Abs(cfg.Resolve(cfg.CA.Cert))
	if err != nil {
		return nil, err
	}
	return []newFile{
		{entry: config.CAName, role: rotation.RoleCAKey, path: keyPath, data: keyPEM, mode: keyMode, owner: atomicfile.Unchanged(), keep: true, noReplace: true},
		{entry: config.CAName, role: rotation.RoleCACert, path: certPath, data: issue.EncodeCertificate(ca.cert), mode: certMode, owner: atomicfile.Unchanged(), keep: true, noReplace: true},
	}, nil
}

// fileOwner is the owner of the file path replaces, or Unchanged (the
// process) for a new file.
func fileOwner(path string) atomicfile.Owner {
	if fi, err := os.Stat(path); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			return atomicfile.Owner{UID: int(st.Uid), GID: int(st.Gid)}
		}
	}
	return atomicfile.Unchanged()
}

// keyFileOwner is the owner and mode of a new key or combined PEM. Without
// key_owner: the old file's owner and keptKeyMode. With key_owner (a user
// name, or UID[:GID], resolved by config.LookupKeyOwner as check resolves
// it): its uid, and its primary group or the GID given (a bare UID keeps
// the old file's group); the mode is keptKeyMode when PostgreSQL, running
// as key_owner with all its groups, accepts and can read the file so
// (certs.JudgeKeyFile, check's verdict), else 0600. Owned by the server's
// user, a key may have no group bits: an old root-owned 0640 key becomes
// the user's 0600 key.
func keyFileOwner(path, keyOwner string) (atomicfile.Owner, fs.FileMode, error) {
	owner, mode := fileOwner(path), keptKeyMode(path)
	if keyOwner == "" {
		return owner, mode, nil
	}
	user, err := config.LookupKeyOwner(keyOwner)
	if err != nil {
		return owner, 0, err
	}
	owner.UID = int(user.UID)
	if gid, ok := user.PrimaryGID(); ok {
		owner.GID = int(gid)
	}
	gid := uint32(os.Getegid()) // a new file's group when none is set
	if owner.GID >= 0 {
		gid = uint32(owner.GID)
	}
	facts := certs.FileFacts{Mode: mode, UID: user.UID, GID: gid}
	if certs.JudgeKeyFile(facts, user).OK() {
		return owner, mode, nil
	}
	facts.Mode = keyMode
	if v := certs.JudgeKeyFile(facts, user); !v.OK() {
		return owner, 0, fmt.Errorf("key_owner %q: PostgreSQL would refuse the new key: %s", keyOwner, v.Reason)
	}
	return owner, keyMode, nil
}

// stagedPath is where a file's new content waits beside it.
func stagedPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".pgtls-new")
}
