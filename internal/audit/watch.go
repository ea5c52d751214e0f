package audit

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/config"
)

// watched is a file the configuration watches.
type watched struct {
	entry, field string
	path         string // resolved
}

// copied is a file renew copies into a container (docker compose cp).
type copied struct {
	kind         string // the service's kind: postgres or pgbouncer
	to           string // the path in the container
	entry, field string
}

// watch finds the TLS files the servers name among the configured ones.
type watch struct {
	files   []watched
	copies  []copied
	pathMap []config.PathMapping
}

func newWatch(cfg *config.Config) *watch {
	w := &watch{pathMap: cfg.ResolvedPathMap()}
	add := func(entry, field, path string) {
		if path != "" {
			w.files = append(w.files, watched{entry: entry, field: field, path: cfg.Resolve(path)})
		}
	}
	add(config.CAName, config.FileCA, cfg.CA.Cert)
	for _, e := range cfg.Certificates {
		add(e.Name, config.FileCert, e.Cert)
		add(e.Name, config.FileKey, e.Key)
		add(e.Name, config.FileCombined, e.Combined)
	}
	for _, s := range cfg.Renew.Services {
		if s.DockerCompose == nil {
			continue
		}
		for _, cp := range s.DockerCompose.Copy {
			entry := s.CopyEntry(cp)
			if cp.File == config.FileCA {
				entry = config.CAName
			}
			w.copies = append(w.copies, copied{kind: s.Kind, to: filepath.Clean(cp.To), entry: entry, field: cp.File})
		}
	}
	return w
}

// locate says where the exporter sees a file a server of kind names, and
// which configured file it is. local tells whether the server runs on
// this host, so that its paths are this host's paths.
func (w *watch) locate(kind Kind, setting, role, path string, local bool) TLSFile {
	f := TLSFile{Setting: setting, Role: role, Path: path}
	if !filepath.IsAbs(path) {
		return f // relative to a folder the exporter does not know
	}
	clean := filepath.Clean(path)
	for _, c := range w.copies {
		if c.kind == string(kind) && c.to == clean {
			f.Visible, f.Entry, f.Field = true, c.entry, c.field
			return f
		}
	}
	switch mapped, ok := w.mapPath(clean); {
	case ok:
		f.Local = mapped
	case local:
		f.Local = clean
	default:
		return f
	}
	st, err := os.Stat(f.Local)
	if err != nil {
		return f
	}
	f.Visible = true
	for _, c := range w.files {
		if cs, err := os.Stat(c.path); err == nil && os.SameFile(st, cs) {
			f.Entry, f.Field = c.entry, c.field
			break
		}
	}
	return f
}

// mapPath applies the longest path_map prefix that covers path.
func (w *watch) mapPath(path string) (string, bool) {
	best := -1
	for i, m := range w.pathMap {
		if (path == m.From || strings.HasPrefix(path, strings.TrimSuffix(m.From, "/")+"/")) &&
			(best < 0 || len(m.From) > len(w.pathMap[best].From)) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	m := w.pathMap[best]
	return filepath.Join(m.To, strings.TrimPrefix(path, m.From)), true
}
