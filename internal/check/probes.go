package check

import (
	"errors"
	"fmt"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/targets"
	"github.com/magflow/pgtls_exporter/probe"
)

// Check names used in findings about live handshakes.
const (
	CheckHandshake    = "handshake"
	CheckServedVerify = "served-verify"
	CheckServedExpiry = "served-expiry"
	CheckServedFile   = "served-vs-file"
)

// ProbeFindings judges live handshakes. Findings are labelled with the
// target name and its address.
func ProbeFindings(reports []*targets.Report, th Thresholds, now time.Time) []Finding {
	var out []Finding
	for _, r := range reports {
		t := r.Target
		add := func(check string, st Status, format string, args ...any) {
			out = append(out, Finding{Entry: t.Name, Check: check, Status: st, Path: t.Address, Detail: fmt.Sprintf(format, args...)})
		}
		if r.Err != nil {
			st := Critical
			if errors.Is(r.Err, probe.ErrUnsupportedKeyType) {
				st = Unknown // clients may well connect; the probe cannot tell
			}
			add(CheckHandshake, st, "%v", r.Err)
			continue
		}
		res := r.Result
		add(CheckHandshake, OK, "%s %s (%s) in %s", res.TLSVersion, res.CipherSuite, res.KeyExchangeGroup,
			res.Duration.Round(time.Millisecond))
		switch {
		case res.Verified() && res.CommonNameOnly:
			add(CheckServedVerify, Warning, "verify-full passes for %s only through the common name: %s",
				serverName(r), certs.CommonNameClients)
		case res.Verified():
			add(CheckServedVerify, OK, "verify-full passed for %s", serverName(r))
		default:
			add(CheckServedVerify, Critical, "verify-full fails for %s: %v", serverName(r), res.VerifyErr)
		}
		if r.Served != nil {
			add(CheckServedExpiry, expiryStatus(*r.Served, now, th), "%s", expiryText(*r.Served, now))
		}
		if d := r.Drift; d != nil {
			add(CheckServedFile, driftStatus(d), "%s", driftText(d, r.Served))
		}
	}
	return out
}

func serverName(r *targets.Report) string {
	if r.Target.ServerName != "" {
		return r.Target.ServerName
	}
	return r.Target.Address
}

func driftStatus(d *targets.Drift) Status {
	switch {
	case d.Err != nil:
		return Unknown
	case d.Matches:
		return OK
	}
	return Warning
}

func driftText(d *targets.Drift, served *inspect.CertFacts) string {
	switch {
	case d.Err != nil:
		return fmt.Sprintf("cannot compare with %s: %v", d.Entry, d.Err)
	case d.Matches:
		return fmt.Sprintf("serves serial %s, the certificate file of %s", served.Serial, d.Entry)
	}
	return fmt.Sprintf("serves serial %s, but the certificate file of %s holds serial %s: reload pending or failed",
		served.Serial, d.Entry, d.FileSerial)
}
