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

// ScanRow is one version a target accepted: how many suites, and the weak
// ones by name; or, last for each target (Version empty), the key
// exchange groups it accepted and whether it asked for a client
// certificate. A failed scan is one row with Failed set.
type ScanRow struct {
	Target  string   `json:"target"`
	Version string   `json:"version,omitempty"`
	Suites  int      `json:"suites"`
	Weak    []string `json:"weak,omitempty"`
	Groups  []string `json:"groups,omitempty"`
	// ClientCert is "requested", "not requested" or why it is unknown.
	ClientCert string `json:"client_cert,omitempty"`
	Failed     string `json:"failed,omitempty"`
}

// ScanTable is the scans as check shows them: a row per target and
// accepted version, in configuration order; targets not scanned have none.
func ScanTable(reports []scans.Report, p Policy) []ScanRow {
	var out []ScanRow
	for _, r := range reports {
		switch {
		case r.Err != nil:
			out = append(out, ScanRow{Target: r.Target.Name, Failed: r.Err.Error()})
			continue
		case r.Result == nil:
			continue
		}
		for _, v := range r.Result.Versions {
			if !v.Accepted {
				continue
			}
			row := ScanRow{Target: r.Target.Name, Version: v.Version.Name, Suites: len(v.Suites)}
			for _, s := range v.Suites {
				if k := p.Weak.Of(s); k != "" {
					row.Weak = append(row.Weak, fmt.Sprintf("%s (%s)", s.Name, k))
				}
			}
			out = append(out, row)
		}
		last := ScanRow{Target: r.Target.Name, ClientCert: "not requested"}
		for _, g := range r.Result.Groups {
			last.Groups = append(last.Groups, g.Name)
		}
		switch {
		case r.Result.ClientCertUnknown != "":
			last.ClientCert = "unknown: " + r.Result.ClientCertUnknown
		case r.Result.RequestsClientCert:
			last.ClientCert = "requested"
		}
		out = append(out, last)
	}
	return out
}
