package rules

import (
	"fmt"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/scans"
)

// CheckScan is the check name of findings about a target's TLS scan.
const CheckScan = "scan"

// ScanFindings judges the last scan of a target by what the server
// accepted: versions older than the policy's minimum, weak suites, static
// RSA key exchange. A target not scanned yet has no finding.
func ScanFindings(r scans.Report, p Policy) []Finding {
	t := r.Target
	switch {
	case r.Err != nil:
		return []Finding{problem(SourceScans, t.Name, CheckScan, t.Address, ScanFailed, "%v", r.Err)}
	case r.Result == nil:
		return nil
	}
	var summary, old, static []string
	var weak []string               // suite names, in the order first seen
	weakIn := map[string][]string{} // suite name: keyword, then the versions
	for _, v := range r.Result.Versions {
		if !v.Accepted {
			continue
		}
		summary = append(summary, fmt.Sprintf("%s: %d %s", v.Version.Name, len(v.Suites), plural(len(v.Suites), "suite", "suites")))
		if p.OldTLS(v.Version.Name) {
			old = append(old, v.Version.Name)
		}
		for _, s := range v.Suites {
			if w := p.Weak.Of(s); w != "" {
				if _, seen := weakIn[s.Name]; !seen {
					weak, weakIn[s.Name] = append(weak, s.Name), []string{w}
				}
				weakIn[s.Name] = append(weakIn[s.Name], v.Version.Name)
			}
			if s.StaticRSA() && p.ForwardSecrecy {
				static = append(static, v.Version.Name+" "+s.Name)
			}
		}
	}
	for i, name := range weak {
		in := weakIn[name]
		weak[i] = fmt.Sprintf("%s (%s; %s)", name, in[0], strings.Join(in[1:], ", "))
	}
	if len(summary) == 0 {
		summary = []string{"no version accepted"}
	}
	out := []Finding{ok(SourceScans, t.Name, CheckScan, t.Address, "accepts %s", strings.Join(summary, "; "))}
	if len(old) > 0 {
		out = append(out, problem(SourceScans, t.Name, CheckScan, t.Address, OldTLSAccepted,
			"completed a hello for %s, older than %s", strings.Join(old, ", "), p.MinTLSVersion))
	}
	if len(weak) > 0 {
		out = append(out, problem(SourceScans, t.Name, CheckScan, t.Address, WeakCipherAccepted, "accepts %d weak %s: %s",
			len(weak), plural(len(weak), "suite", "suites"), listSome(weak)))
	}
	if len(static) > 0 {
		out = append(out, problem(SourceScans, t.Name, CheckScan, t.Address, NoForwardSecrecyAccepted,
			"accepts %d %s without forward secrecy: %s", len(static), plural(len(static), "suite", "suites"), strings.Join(static, ", ")))
	}
	return out
}

// ScanTarget is what one target's TLS scan saw, as check shows it: each
// version it accepted, the key exchange groups, and whether it asked for
// a client certificate; or, when the scan failed, why.
type ScanTarget struct {
	Target   string        `json:"target"`
	Versions []ScanVersion `json:"versions,omitempty"`
	Groups   []string      `json:"groups,omitempty"`
	// ClientCert is "requested", "not requested" or why it is unknown.
	ClientCert string `json:"client_cert,omitempty"`
	Failed     string `json:"failed,omitempty"`
}

// ScanVersion is one accepted version: how many suites, and the weak ones
// by name with the keyword that makes each weak.
type ScanVersion struct {
	Version string   `json:"version"`
	Suites  int      `json:"suites"`
	Weak    []string `json:"weak,omitempty"`
}

// ScanTable is the scans as check shows them, in configuration order;
// targets not scanned yet are left out.
func ScanTable(reports []scans.Report, p Policy) []ScanTarget {
	var out []ScanTarget
	for _, r := range reports {
		switch {
		case r.Err != nil:
			out = append(out, ScanTarget{Target: r.Target.Name, Failed: r.Err.Error()})
			continue
		case r.Result == nil:
			continue
		}
		t := ScanTarget{Target: r.Target.Name, ClientCert: "not requested"}
		for _, v := range r.Result.Versions {
			if !v.Accepted {
				continue
			}
			sv := ScanVersion{Version: v.Version.Name, Suites: len(v.Suites)}
			for _, s := range v.Suites {
				if k := p.Weak.Of(s); k != "" {
					sv.Weak = append(sv.Weak, fmt.Sprintf("%s (%s)", s.Name, k))
				}
			}
			t.Versions = append(t.Versions, sv)
		}
		for _, g := range r.Result.Groups {
			t.Groups = append(t.Groups, g.Name)
		}
		switch {
		case r.Result.ClientCertUnknown != "":
			t.ClientCert = "unknown: " + r.Result.ClientCertUnknown
		case r.Result.RequestsClientCert:
			t.ClientCert = "requested"
		}
		out = append(out, t)
	}
	return out
}
