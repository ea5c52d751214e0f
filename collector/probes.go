package collector

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/targets"
)

// The families of a probe, in the order /probe writes them.
var (
	probeSuccess = newFamily(Namespace+"_probe_success",
		"Whether a TLS session was established with the target.", "target")
	probeDuration = newFamily(Namespace+"_probe_duration_seconds",
		"Time to connect, negotiate and complete the TLS handshake.", "target")
	probeVersion = newFamily(Namespace+"_probe_tls_version_info",
		"Negotiated TLS version.", "target", "version")
	probeCipher = newFamily(Namespace+"_probe_cipher_info",
		"Negotiated cipher suite and key exchange group.", "target", "cipher", "key_exchange")
	probeNotAfter = newFamily(Namespace+"_probe_cert_not_after_timestamp_seconds",
		"Expiry time of the served leaf certificate.", "target", "serial")
	probeCertInfo = newFamily(Namespace+"_probe_cert_info",
		"Identity of the served leaf certificate.", "target", "serial", "subject", "issuer", "fingerprint_sha256")
	probeVerify = newFamily(Namespace+"_probe_verify_success",
		"Whether the served chain passes verify-full against the configured CA.", "target")
	probeCNMatch = newFamily(Namespace+"_probe_common_name_match",
		"Whether verify-full passed only through the served leaf's common name (libpq accepts it, SAN-only clients such as Go's refuse it).",
		"target")
	probeMatchesFile = newFamily(Namespace+"_probe_cert_matches_file",
		"Whether the served leaf equals the certificate file (0: reload pending or failed).", "target", "name")
)

// Probes exports live handshakes with every configured target.
type Probes struct {
	prober    *targets.Prober
	inspector Inspector
	policy    rules.Policy
	logger    *slog.Logger

	mu       sync.Mutex
	lastErrs map[string]string
}

// NewProbes returns the probe source; inspector supplies the CA and the
// files the served certificates are compared with.
func NewProbes(prober *targets.Prober, inspector Inspector, policy rules.Policy, logger *slog.Logger) *Probes {
	return &Probes{prober: prober, inspector: inspector, policy: policy, logger: logger, lastErrs: map[string]string{}}
}

// Name implements Source.
func (p *Probes) Name() string { return "probes" }

// Update implements Source. An unreachable target is a finding, not a
// failure of the source.
func (p *Probes) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	if p.prober.Empty() {
		return nil
	}
	// During the start-up inspection, what is ready may already hold the
	// CA and the entries the targets are compared with; else wait for it.
	files, now := inspectOnce(ctx, p.inspector)
	if !p.prober.Covered(files) {
		files, now = inspectComplete(ctx, p.inspector)
	}
	reports := p.prober.ProbeAll(ctx, files)
	for _, r := range reports {
		p.logChange(r)
		for _, m := range ProbeMetrics(r.Target.Name, r, p.policy, now) {
			ch <- m
		}
	}
	return nil
}

// logChange logs a target's failure when it differs from the last one, and
// its recovery.
func (p *Probes) logChange(r *targets.Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name, last := r.Target.Name, p.lastErrs[r.Target.Name]
	switch {
	case r.Err != nil && r.Err.Error() != last:
		p.logger.Warn("probe failed", "target", name, "address", r.Target.Address, "err", r.Err)
		p.lastErrs[name] = r.Err.Error()
	case r.Err == nil && last != "":
		p.logger.Info("probe recovered", "target", name, "address", r.Target.Address)
		delete(p.lastErrs, name)
	}
}

// ProbeMetrics are the metrics of one probe, labelled with target, and
// its problems judged with th at now; subject is the target too.
func ProbeMetrics(target string, r *targets.Report, th rules.Policy, now time.Time) []prometheus.Metric {
	return metrics(probeSamples(target, r, th, now))
}

// probeSamples are ProbeMetrics' samples.
func probeSamples(target string, r *targets.Report, th rules.Policy, now time.Time) []sample {
	out := make([]sample, 0, 10)
	add := func(f *family, v float64, labels ...string) {
		out = append(out, sample{f, v, labels})
	}
	add(&probeSuccess, boolValue(r.Err == nil), target)
	judged := *r
	judged.Target.Name = target
	out = append(out, problemSamples(rules.TargetFindings(&judged, th, now))...)
	if r.Err != nil {
		add(&probeFailure, 1, target, rules.ProbePhase(r.Err), string(rules.ProbeCode(r.Err)))
		return out
	}
	res := r.Result
	add(&probeDuration, res.Duration.Seconds(), target)
	add(&probeVersion, 1, target, res.TLSVersion)
	add(&probeCipher, 1, target, res.CipherSuite, res.KeyExchangeGroup)
	add(&probeVerify, boolValue(res.Verified()), target)
	add(&probeCNMatch, boolValue(res.CommonNameOnly()), target)
	if s := r.Served; s != nil {
		add(&probeNotAfter, float64(s.NotAfter.Unix()), target, s.Serial)
		add(&probeCertInfo, 1, target, s.Serial, s.Subject, s.Issuer, s.Fingerprint)
	}
	if d := r.Drift; d != nil && d.Err == nil {
		add(&probeMatchesFile, boolValue(d.Matches), target, d.Entry)
	}
	return out
}
