package inspect

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
)

// evaluation judges one entry's files from scratch.
type evaluation struct {
	entry     config.Certificate
	paths     [3]string // resolved cert, key, combined
	ids       [3]identity
	infos     [3]fs.FileInfo
	authority *certs.Authority
	// caConfigured is true when the configuration names a CA file.
	caConfigured bool
	now          time.Time
}

// ErrNotChecked marks a key match that could not be judged because a file
// it needs is unusable; that file's own finding says why.
var ErrNotChecked = errors.New("not checked")

var errCertUnreadable = fmt.Errorf("%w: the certificate file could not be read", ErrNotChecked)

func (ev evaluation) run() (*EntryReport, time.Time) {
	e := ev.entry
	r := &EntryReport{Name: e.Name, ExpectedNames: e.ExpectedNames, CAConfigured: ev.caConfigured}
	certFile, certBundle := load(RoleCert, e.Cert, ev.paths[0], ev.ids[0], ev.infos[0])
	r.Files = append(r.Files, certFile)
	var leaf *x509.Certificate
	if certBundle != nil {
		leaf = certBundle.Leaf()
	}
	var recheckAt time.Time
	if leaf != nil {
		for _, n := range e.ExpectedNames {
			r.Names = append(r.Names, NameCoverage{Name: n, Match: certs.MatchName(leaf, n)})
		}
		if ev.authority != nil {
			v := ev.authority.Verify(certBundle.Certificates, "", ev.now)
			r.Verify = &v
			recheckAt = v.RecheckAt
		}
	}
	var keys []certs.Key
	for j, role := range []Role{RoleKey, RoleCombined} {
		configured := []string{e.Key, e.Combined}[j]
		if configured == "" {
			continue
		}
		fr, bundle := load(role, configured, ev.paths[j+1], ev.ids[j+1], ev.infos[j+1])
		r.Files = append(r.Files, fr)
		r.KeyMatches = append(r.KeyMatches, matchKey(role, configured, leaf, fr, bundle))
		if role == RoleKey && bundle != nil {
			if k, err := bundle.SingleKey(); err == nil {
				keys = append(keys, k)
			}
		}
		if ev.infos[j+1] != nil {
			owner := e.KeyOwner
			if role == RoleCombined {
				owner = "" // key_owner is the server reading the key file; a combined PEM is judged for its owner
			}
			r.KeyPermissions = append(r.KeyPermissions, judgePermissions(role, configured, ev.ids[j+1], owner))
		}
	}
	if certBundle != nil {
		r.LeafNotFirst = leafNotFirst(certBundle.Certificates, keys)
	}
	return r, recheckAt
}

// leafNotFirst says why a certificate file does not start with the
// server's certificate: a CA comes first and a server certificate later,
// or the key belongs to a later certificate and not the first. "" when the
// first is the server's, as far as the file and key tell.
func leafNotFirst(chain []*x509.Certificate, keys []certs.Key) string {
	if len(chain) < 2 {
		return ""
	}
	first := chain[0]
	for i, c := range chain[1:] {
		for _, k := range keys {
			if ok, _ := certs.KeyMatches(first, k); ok {
				return ""
			}
			if ok, _ := certs.KeyMatches(c, k); ok {
				return fmt.Sprintf("the key belongs to certificate %d of the file (%q), not to the first (%q), which the server presents",
					i+2, c.Subject.String(), first.Subject.String())
			}
		}
		if first.IsCA && !c.IsCA {
			return fmt.Sprintf("the first certificate of the file is the CA %q, which the server presents; its own certificate (%q) is number %d",
				first.Subject.String(), c.Subject.String(), i+2)
		}
	}
	return ""
}

// load reads and parses one file; the bundle is nil when FileReport.Err is set.
func load(role Role, configured, path string, id identity, fi fs.FileInfo) (FileReport, *certs.Bundle) {
	fr := FileReport{Role: role, Path: configured}
	if err := id.err(); err != nil {
		fr.Err = config.NewFileError(configured, path, err)
		return fr, nil
	}
	data, err := readFile(path)
	if err != nil {
		fr.Err = config.NewFileError(configured, path, err)
		return fr, nil
	}
	bundle, err := certs.ParseBundle(data)
	if err == nil {
		err = requireContent(role, bundle)
	}
	if err != nil {
		fr.Err = err
		return fr, nil
	}
	for _, c := range bundle.Certificates {
		fr.Certificates = append(fr.Certificates, Facts(c))
	}
	if k, err := bundle.SingleKey(); err == nil {
		fr.Key = describeKey(k)
	}
	return fr, bundle
}

// requireContent checks a file holds what its role needs.
func requireContent(role Role, b *certs.Bundle) error {
	needCert := role != RoleKey
	needKey := role == RoleKey || role == RoleCombined
	if needCert && len(b.Certificates) == 0 {
		return &certs.ParseError{Reason: certs.ReasonNoCertificate}
	}
	if needKey {
		if _, err := b.SingleKey(); err != nil {
			return err
		}
	}
	return nil
}

// plainIOError drops the resolved path from an os error: reports name the
// configured path themselves.
func plainIOError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

func matchKey(role Role, configured string, leaf *x509.Certificate, fr FileReport, b *certs.Bundle) KeyMatch {
	km := KeyMatch{Role: role, Path: configured}
	switch {
	case leaf == nil:
		km.Err = errCertUnreadable
		return km
	case fr.Err != nil:
		km.Err = fmt.Errorf("%w: the %s file could not be read", ErrNotChecked, role)
		return km
	}
	if role == RoleCombined && !b.Leaf().Equal(leaf) {
		km.Err = fmt.Errorf("combined PEM holds certificate serial %s, the certificate file holds serial %s",
			certs.Serial(b.Leaf()), certs.Serial(leaf))
		return km
	}
	key, _ := b.SingleKey() // requireContent made sure there is exactly one
	km.OK, km.Err = certs.KeyMatches(leaf, key)
	return km
}

func judgePermissions(role Role, configured string, id identity, keyOwner string) KeyPermission {
	kp := KeyPermission{Role: role, Path: configured, Mode: id.mode, UID: id.uid, GID: id.gid,
		Owner: userName(id.uid), Group: groupName(id.gid), KeyOwner: keyOwner}
	user := certs.ServerUser{Name: kp.Owner, UID: id.uid}
	if keyOwner != "" {
		var err error
		if user, err = config.LookupKeyOwner(keyOwner); err != nil {
			kp.Err = err
			return kp
		}
	}
	kp.User = user.Name
	kp.Verdict = certs.JudgeKeyFile(certs.FileFacts{Mode: id.mode, UID: id.uid, GID: id.gid}, user)
	return kp
}

func describeKey(k certs.Key) string {
	if k.Encrypted {
		return "encrypted " + k.Format
	}
	return fmt.Sprintf("%s (%s)", k.Algorithm(), k.Format)
}
