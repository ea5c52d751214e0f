// Package buildinfo completes the build information that `version`, the
// start-up log and pgtls_exporter_build_info show. `make build` and the
// Dockerfile set it with -ldflags; a plain `go build` or `go install` gets
// what Go itself embeds (module version, VCS revision and commit time).
package buildinfo

import (
	"runtime/debug"
	"time"

	"github.com/prometheus/common/version"
)

// Unknown stands for a fact that neither -ldflags nor Go recorded.
const Unknown = "unknown"

// dateLayout is how promu and `make build` write the build date.
const dateLayout = "20060102-15:04:05"

// Fields are the build facts set by -ldflags on
// github.com/prometheus/common/version.
type Fields struct {
	Version, Revision, Branch, BuildUser, BuildDate string
}

// Complete fills the fields that -ldflags left empty from Go's build
// information (nil when the binary has none): the module version
// (`go install ...@v1.2.3`, or the pseudo-version Go derives from VCS),
// vcs.revision with "-modified" for a dirty tree, and vcs.time, the commit
// time, marked as such. What neither knows is Unknown.
func Complete(f Fields, bi *debug.BuildInfo) Fields {
	var mainVersion, revision, commitTime string
	modified := false
	if bi != nil {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			mainVersion = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				commitTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if revision != "" && modified {
		revision += "-modified"
	}
	if t, err := time.Parse(time.RFC3339, commitTime); err == nil {
		commitTime = t.UTC().Format(dateLayout) + " (commit time)"
	} else {
		commitTime = ""
	}
	f.Version = first(f.Version, mainVersion, "devel")
	f.Revision = first(f.Revision, revision, Unknown)
	f.Branch = first(f.Branch, Unknown)
	f.BuildUser = first(f.BuildUser, Unknown)
	f.BuildDate = first(f.BuildDate, commitTime, Unknown)
	return f
}

// Apply completes github.com/prometheus/common/version's variables from
// the binary's own build information. main calls it first.
func Apply() {
	bi, _ := debug.ReadBuildInfo() // nil without build information
	f := Complete(Fields{Version: version.Version, Revision: version.Revision, Branch: version.Branch,
		BuildUser: version.BuildUser, BuildDate: version.BuildDate}, bi)
	version.Version, version.Revision, version.Branch = f.Version, f.Revision, f.Branch
	version.BuildUser, version.BuildDate = f.BuildUser, f.BuildDate
}

// first returns the first non-empty value.
func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
