package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/audit"
	"github.com/magflow/pgtls_exporter/internal/scans"
)

// observed are the successful TLS scans of the server an audit subject
// reads: the targets that serve the certificate entry its ssl_cert_file
// or client_tls_cert_file is. A setting is judged as a setting; what they
// saw says whether the server really accepts what it allows.
type observed []scans.Report

// observedFor picks, from every target's last scan, those of f's server
// that succeeded.
func observedFor(f *audit.Facts, reports []scans.Report) observed {
	var out observed
	for _, file := range f.Files {
		if file.Entry == "" || file.Setting != "ssl_cert_file" && file.Setting != "client_tls_cert_file" {
			continue
		}
		for _, r := range reports {
			// A scan that failed since is no observation of the server now.
			if r.Result != nil && r.Err == nil && r.Target.Certificate == file.Entry {
				out = append(out, r)
			}
		}
	}
	return out
}

// targets names the scanned targets.
func (o observed) targets() string {
	var names []string
	for _, r := range o {
		names = append(names, r.Target.Name)
	}
	return strings.Join(names, ", ")
}

// oldVersions says what the scans saw of versions a setting allows that
// the policy calls old: "" without a scan.
func (o observed) oldVersions(old []string) string {
	if len(o) == 0 {
		return ""
	}
	var accepted []string
	for _, r := range o {
		for _, v := range r.Result.Versions {
			if v.Accepted && slices.Contains(old, v.Version.Name) && !slices.Contains(accepted, v.Version.Name) {
				accepted = append(accepted, v.Version.Name)
			}
		}
	}
	if len(accepted) == 0 {
		return fmt.Sprintf(", but the server's OpenSSL refuses %s (TLS scan of %s)", plural(len(old), "it", "them"), o.targets())
	}
	return fmt.Sprintf(", and the server completes %s handshakes (TLS scan of %s: %s)", strings.Join(accepted, ", "), o.targets(), OldTLSAccepted)
}

// weakSuites says how many weak suites the scans saw accepted, for a
// setting that enables some: "" without a scan.
func (o observed) weakSuites(p Policy) string {
	if len(o) == 0 {
		return ""
	}
	var weak []string
	for _, r := range o {
		for _, v := range r.Result.Versions {
			for _, s := range v.Suites {
				if p.Weak.Of(s) != "" && !slices.Contains(weak, s.Name) {
					weak = append(weak, s.Name)
				}
			}
		}
	}
	if len(weak) == 0 {
		return fmt.Sprintf("; but the server accepts none of them (TLS scan of %s)", o.targets())
	}
	return fmt.Sprintf("; the server accepts %d (TLS scan of %s: %s)", len(weak), o.targets(), WeakCipherAccepted)
}
