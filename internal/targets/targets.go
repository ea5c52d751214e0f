// Package targets probes the configured servers and compares what they
// serve with the certificate files: the one evaluation of live handshakes
// that both the collector and the check command render.
package targets

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/regfile"
	"github.com/magflow/pgtls_exporter/probe"
)

// Report is one probe of one target.
type Report struct {
	Target config.Target
	// Err is set when no TLS session was established.
	Err    error
	Result probe.Result
	// Served is the served leaf certificate; nil when Err is set.
	Served *inspect.CertFacts
	// Drift compares the served leaf with the configured entry's file; nil
	// when the target names no certificate entry.
	Drift *Drift
	// SystemRoots is true when no CA is configured and verify-full used the
	// system's trusted roots.
	SystemRoots bool
}

// Drift says whether the server serves the certificate in its file.
type Drift struct {
	Entry string
	// FileSerial is the serial of the file's leaf; empty when unreadable.
	FileSerial string
	// Matches is false when the file changed and the server still serves
	// the old certificate (reload pending or failed).
	Matches bool
	// Err is set when the comparison could not be made.
	Err error
}

// Prober probes targets of one configuration.
type Prober struct {
	cfg *config.Config
	// verified remembers the served chains that passed verify-full
	// against the configured CA.
	verified    *probe.VerifiedChains
	systemRoots systemRoots
}

// systemRoots loads the system's trusted roots once they load: a failure
// is tried again on the next probe.
type systemRoots struct {
	mu        sync.Mutex
	authority *certs.Authority
}

// systemRootFiles are where Linux distributions keep the bundle of trusted
// roots that OpenSSL (sslrootcert=system) and Go read: Debian's first.
func systemRootFiles() []string {
	return []string{
		"/etc/ssl/certs/ca-certificates.crt",
		"/etc/pki/tls/certs/ca-bundle.crt",
		"/etc/ssl/ca-bundle.pem",
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
		"/etc/ssl/cert.pem",
	}
}

// get returns the system's trusted roots, from $SSL_CERT_FILE or the first
// bundle that exists, judged at the given security level.
func (s *systemRoots) get(securityLevel int) (*certs.Authority, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authority != nil {
		return s.authority, nil
	}
	files := systemRootFiles()
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	var errs []error
	for _, f := range files {
		data, err := regfile.Read(f, regfile.MaxConfig)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b, err := certs.ParseBundle(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		s.authority = certs.NewAuthority(b.Certificates, securityLevel)
		return s.authority, nil
	}
	return nil, fmt.Errorf("load the system's trusted roots: %w", errors.Join(errs...))
}

// New returns a Prober for cfg.
func New(cfg *config.Config) *Prober {
	return &Prober{cfg: cfg, verified: probe.NewVerifiedChains()}
}

// Covered reports whether files holds what probing every target needs:
// the CA when one is configured, and each entry a target is compared with.
func (p *Prober) Covered(files *inspect.Report) bool {
	if p.cfg.CA.Cert != "" && files.CA == nil {
		return false
	}
	for _, t := range p.cfg.Targets {
		if t.Certificate != "" && files.Entry(t.Certificate) == nil {
			return false
		}
	}
	return true
}

// Empty reports whether no target is configured.
func (p *Prober) Empty() bool { return len(p.cfg.Targets) == 0 }

// ProbeAll probes every configured target concurrently. Each probe is
// bounded by its own timeout and by ctx; a dead target costs at most that.
func (p *Prober) ProbeAll(ctx context.Context, files *inspect.Report) []*Report {
	out := make([]*Report, len(p.cfg.Targets))
	var wg sync.WaitGroup
	for i, t := range p.cfg.Targets {
		wg.Go(func() { out[i] = p.Probe(ctx, t, files) })
	}
	wg.Wait()
	return out
}

// Probe probes one target and compares the served leaf with the files.
func (p *Prober) Probe(ctx context.Context, t config.Target, files *inspect.Report) *Report {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.TargetTimeout(t))
	defer cancel()
	r := &Report{Target: t}
	opts := probe.Options{Address: t.Address, ServerName: t.ServerName, Negotiation: negotiation(t.Negotiation),
		Dialer: &net.Dialer{}}
	switch {
	case files != nil && files.Authority != nil:
		opts.Verifier, opts.Verified = files.Authority, p.verified
	case p.cfg.CA.Cert == "":
		// No CA configured: verify-full against the system's trusted roots,
		// as libpq with sslrootcert=system does, every time.
		if roots, err := p.systemRoots.get(p.cfg.SecurityLevel()); err == nil {
			opts.Verifier, r.SystemRoots = roots, true
		}
	}
	if t.ClientCert != "" {
		pair, err := tls.LoadX509KeyPair(p.cfg.Resolve(t.ClientCert), p.cfg.Resolve(t.ClientKey))
		if err != nil {
			r.Err = fmt.Errorf("load client certificate %s: %w", t.ClientCert, err)
			return r
		}
		opts.ClientCertificate = &pair
	}
	r.Result, r.Err = probe.Probe(ctx, opts)
	if r.Err != nil || len(r.Result.PeerCertificates) == 0 {
		return r
	}
	served := inspect.Facts(r.Result.PeerCertificates[0])
	r.Served = &served
	if t.Certificate != "" {
		r.Drift = compare(t.Certificate, served, files)
	}
	return r
}

func compare(entry string, served inspect.CertFacts, files *inspect.Report) *Drift {
	d := &Drift{Entry: entry}
	var e *inspect.EntryReport
	if files != nil {
		e = files.Entry(entry)
	}
	cf := (*inspect.FileReport)(nil)
	if e != nil {
		cf = e.CertFile()
	}
	if cf == nil || cf.Err != nil || len(cf.Certificates) == 0 {
		d.Err = fmt.Errorf("the certificate file of %q could not be read", entry)
		return d
	}
	d.FileSerial = cf.Certificates[0].Serial
	d.Matches = cf.Certificates[0].Fingerprint == served.Fingerprint
	return d
}

// negotiation is the probe's way to ask for TLS that the configuration
// names.
func negotiation(n config.Negotiation) probe.Negotiation {
	if n == config.NegotiationDirect {
		return probe.NegotiationDirect
	}
	return probe.NegotiationPostgres
}
