package buildinfo

import (
	"runtime/debug"
	"testing"
)

func vcs(settings ...string) []debug.BuildSetting {
	var out []debug.BuildSetting
	for i := 0; i+1 < len(settings); i += 2 {
		out = append(out, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return out
}

func TestComplete(t *testing.T) {
	ldflags := Fields{Version: "v1.4.0", Revision: "0123abc", Branch: "main", BuildUser: "ci@build", BuildDate: "20261127-01:35:13"}
	stamped := &debug.BuildInfo{Main: debug.Module{Path: "github.com/magflow/pgtls_exporter", Version: "v0.0.0-20261126093000-d29843edde8b+dirty"},
		Settings: vcs("vcs", "git", "vcs.revision", "d29843edde8be2e867e04c177551fc2a9a59aec9", "vcs.time", "2026-11-26T09:30:00Z", "vcs.modified", "true")}
	tests := []struct {
		name   string
		in     Fields
		bi     *debug.BuildInfo
		expect Fields
	}{
		{"ldflags win over the VCS stamp", ldflags, stamped, ldflags},
		{"go build in a checkout: VCS stamp", Fields{}, stamped, Fields{
			Version: "v0.0.0-20261126093000-d29843edde8b+dirty", Revision: "d29843edde8be2e867e04c177551fc2a9a59aec9-modified",
			Branch: "unknown", BuildUser: "unknown", BuildDate: "20261126-09:30:00 (commit time)"}},
		{"clean tree", Fields{}, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "d29843e", "vcs.modified", "false", "vcs.time", "2026-11-26T10:30:00+01:00")}, Fields{
			Version: "devel", Revision: "d29843e", Branch: "unknown", BuildUser: "unknown", BuildDate: "20261126-09:30:00 (commit time)"}},
		{"go install module@version: no VCS", Fields{}, &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, Fields{
			Version: "v1.4.0", Revision: "unknown", Branch: "unknown", BuildUser: "unknown", BuildDate: "unknown"}},
		{"no build information", Fields{}, nil, Fields{
			Version: "devel", Revision: "unknown", Branch: "unknown", BuildUser: "unknown", BuildDate: "unknown"}},
		{"partial ldflags", Fields{Version: "v2.0.0", Branch: "release"}, stamped, Fields{
			Version: "v2.0.0", Revision: "d29843edde8be2e867e04c177551fc2a9a59aec9-modified", Branch: "release",
			BuildUser: "unknown", BuildDate: "20261126-09:30:00 (commit time)"}},
		{"garbled vcs.time", Fields{}, &debug.BuildInfo{Settings: vcs("vcs.time", "yesterday")}, Fields{
			Version: "devel", Revision: "unknown", Branch: "unknown", BuildUser: "unknown", BuildDate: "unknown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Complete(tc.in, tc.bi); got != tc.expect {
				t.Fatalf("Complete:\n got %+v\nwant %+v", got, tc.expect)
			}
		})
	}
}
