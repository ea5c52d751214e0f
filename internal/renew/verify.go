package renew

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/regfile"
	"github.com/magflow/pgtls_exporter/internal/renew/rotation"
	"github.com/magflow/pgtls_exporter/internal/renewstate"
	"github.com/magflow/pgtls_exporter/internal/sources"
	"github.com/magflow/pgtls_exporter/internal/targets"
)

// pollInterval is the pause between probes while waiting for a reload.
const pollInterval = 50 * time.Millisecond

// expectation is what one target must serve.
type expectation struct {
	target config.Target
	// serial is the served leaf's serial; "" accepts any.
	serial string
	// verifyFull also requires verify-full to pass (new certificates); the
	// old ones after a rollback need only be served again.
	verifyFull bool
	// onlyCA, when set, must be the served chain's root on its own: after
	// a CA rotation's switch, the new CA alone.
	onlyCA *certs.Authority
	// clientCAs, when set, judges the CAs the server names for client
	// certificates (what its CA file holds): "" when they are right.
	clientCAs func(names [][]byte) string
}

// expectations lists, for every target of the journal's entries, the
// serial it must serve: the new one, or with old the one before.
func expectations(cfg *config.Config, j *Journal, old bool) []expectation {
	var out []expectation
	for _, e := range j.Entries {
		serial := e.NewSerial
		if old {
			serial = e.OldSerial
		}
		if serial == "" {
			continue // nothing was served before
		}
		for _, t := range cfg.Targets {
			if t.Certificate == e.Name {
				out = append(out, expectation{target: t, serial: serial, verifyFull: !old})
			}
		}
	}
	return out
}

// waitServed probes the targets until each serves its expected serial (and
// passes verify-full where required), or until timeout. Reloads are
// asynchronous, so a first probe may still see the old certificate.
//
// timeout ends the retries, not a probe under way: every target is probed
// at least once, each probe bounded by its own target timeout, so a failure
// always reports what a complete probe found (an old serial, a failed
// verification), never a probe cut short by the wait. ctx still ends
// everything.
//
// set is built for this verification, once the files are in place: its
// files are the CA to verify against, and its prober's memory of verified
// chains does not pass a new certificate for the old one, since it is
// keyed by the exact served chain and the verifier.
func waitServed(ctx context.Context, set *sources.Set, exps []expectation, timeout time.Duration, log *slog.Logger) error {
	if len(exps) == 0 {
		return nil
	}
	report := set.Inspector.Inspect(time.Now())
	start := time.Now()
	deadline := start.Add(timeout)
	pending := exps
	why := map[string]string{}
	for {
		var next []expectation
		for _, e := range pending {
			r := set.Prober.Probe(ctx, e.target, report)
			if problem := check(r, e); problem != "" {
				why[e.target.Name] = problem
				next = append(next, e)
				continue
			}
			log.Info("target serves the expected certificate", "target", e.target.Name, "address", e.target.Address,
				"serial", e.serial, "verify_full", e.verifyFull, "after", time.Since(start).Round(time.Millisecond))
		}
		if len(next) == 0 {
			return nil
		}
		pending = next
		if ctx.Err() != nil || !time.Now().Add(pollInterval).Before(deadline) {
			return notServed(ctx, pending, why, time.Since(start))
		}
		select {
		case <-ctx.Done():
			return notServed(ctx, pending, why, time.Since(start))
		case <-time.After(pollInterval):
		}
	}
}

// notServed is waitServed's error: for each pending target the last
// finding of a complete probe, and why the wait ended early if it did.
func notServed(ctx context.Context, pending []expectation, why map[string]string, waited time.Duration) error {
	var errs []error
	for _, e := range pending {
		errs = append(errs, fmt.Errorf("target %s (%s): %s", e.target.Name, e.target.Address, why[e.target.Name]))
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return fmt.Errorf("after %s: %w", waited.Round(time.Millisecond), errors.Join(errs...))
}

// check returns what is wrong with a probe against an expectation, or "".
func check(r *targets.Report, e expectation) string {
	switch {
	case r.Err != nil:
		return "probe failed: " + r.Err.Error()
	case r.Served == nil:
		return "no certificate served"
	case e.serial != "" && r.Served.Serial != e.serial:
		return fmt.Sprintf("serves serial %s, want %s", r.Served.Serial, e.serial)
	case e.verifyFull && !r.Result.Verified():
		return fmt.Sprintf("serves serial %s but verify-full fails: %v", r.Served.Serial, r.Result.VerifyErr())
	case e.onlyCA != nil:
		if v := e.onlyCA.Verify(r.Result.PeerCertificates, "", time.Now()); !v.OK() {
			return fmt.Sprintf("serves serial %s, which does not chain to the new CA %q alone: %s", r.Served.Serial, e.onlyCA.Certs[0].Subject, v.Detail())
		}
	}
	if e.clientCAs != nil {
		return e.clientCAs(r.Result.ClientCAs)
	}
	return ""
}

// expectationsOf lists what the targets must serve once a transaction's
// files are in place (or, with old, put back).
//
// A CA rotation's prepare and finish change no certificate: every target
// keeps serving its file's certificate and, forward, must pass verify-full
// with the trust now in ca.cert (both CAs, then the new one alone). Its
// switch is a renewal whose new certificates must moreover chain to the
// new CA alone.
func (r *runner) expectationsOf(set *sources.Set, j *Journal, old bool) ([]expectation, error) {
	if j.Rotation == nil || j.Rotation.Phase == renewstate.PhaseSwitched {
		exps := expectations(r.cfg, j, old)
		if j.Rotation == nil || old {
			return exps, nil
		}
		data, err := regfile.Read(j.Rotation.NewCACert, regfile.MaxSmall)
		if err != nil {
			return nil, fmt.Errorf("read the new CA: %w", err)
		}
		ca, err := issue.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("the new CA %s: %w", j.Rotation.NewCACert, err)
		}
		onlyCA := certs.NewAuthority([]*x509.Certificate{ca}, r.cfg.SecurityLevel())
		for i := range exps {
			exps[i].onlyCA = onlyCA
		}
		return exps, nil
	}
	report := set.Inspector.Inspect(time.Now())
	var judge func([][]byte) string
	if !old {
		st, err := rotation.Read(r.stateDir)
		if err != nil || st == nil {
			return nil, fmt.Errorf("the CA rotation's state: %v", err)
		}
		judge = rotation.ClientCAJudge(j.Rotation.Phase, st)
	}
	var out []expectation
	for _, t := range r.cfg.Targets {
		serial := ""
		if e := report.Entry(t.Certificate); e != nil {
			if cf := e.CertFile(); cf != nil && cf.Err == nil && len(cf.Certificates) > 0 {
				serial = cf.Certificates[0].Serial
			}
		}
		if old && serial == "" {
			continue // nothing to confirm after a rollback
		}
		out = append(out, expectation{target: t, serial: serial, verifyFull: !old, clientCAs: judge})
	}
	return out, nil
}
