package audit

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/magflow/pgtls_exporter/internal/pgbini"
	"github.com/magflow/pgtls_exporter/internal/pghba"
	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// osFS reads the files a pg_hba.conf or pgbouncer.ini names from this
// host: regular files only, each at most regfile.MaxAudit.
type osFS struct{}

func (osFS) ReadFile(path string) ([]byte, error) { return regfile.Read(path, regfile.MaxAudit) }

func (osFS) ReadDir(path string) ([]string, error) {
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// hbaFileTarget audits a pg_hba.conf given by path.
type hbaFileTarget struct {
	subject, path string
}

func (t *hbaFileTarget) Subject() string { return t.subject }
func (t *hbaFileTarget) Kind() Kind      { return KindHBAFile }

// Collect parses the file and the files it includes.
func (t *hbaFileTarget) Collect(context.Context) *Facts {
	f := &Facts{Subject: t.subject, Kind: KindHBAFile}
	rules, err := pghba.Parse(osFS{}, t.path)
	if err != nil {
		f.Unparsable = append(f.Unparsable, Problem{Where: t.path, Msg: err.Error()})
		return f
	}
	f.HBA, f.HBAKnown = rules, true
	return f
}

// iniFileTarget audits a pgbouncer.ini given by path.
type iniFileTarget struct {
	subject, path string
	watch         *watch
}

func (t *iniFileTarget) Subject() string { return t.subject }
func (t *iniFileTarget) Kind() Kind      { return KindPgBouncerINI }

// Collect parses the file and the files it includes; keys it does not set
// get PgBouncer's defaults.
func (t *iniFileTarget) Collect(context.Context) *Facts {
	f := &Facts{Subject: t.subject, Kind: KindPgBouncerINI, Settings: map[string]Setting{}}
	settings, err := pgbini.Parse(osFS{}.ReadFile, t.path)
	if err != nil {
		p := Problem{Where: t.path, Msg: err.Error()}
		if pe := (*pgbini.Error)(nil); errors.As(err, &pe) {
			p = Problem{Where: pe.File, Msg: pe.Msg}
			if pe.Line > 0 {
				p.Where = fmt.Sprintf("%s:%d", pe.File, pe.Line)
			}
		}
		f.Unparsable = append(f.Unparsable, p)
		return f
	}
	for key, def := range PgBouncerSettings {
		s, ok := settings[key]
		if !ok {
			f.Settings[key] = Setting{Value: def, Default: true}
			continue
		}
		f.Settings[key] = Setting{Value: s.Value, Where: s.Where()}
	}
	for _, pf := range pgbouncerFiles {
		if path := f.Settings[pf[0]].Value; path != "" {
			f.Files = append(f.Files, t.watch.locate(KindPgBouncer, pf[0], pf[1], path, true))
		}
	}
	return f
}
