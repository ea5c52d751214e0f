// Package scans scans every configured target with package tlsscan on a
// schedule (scan.interval: at start, then every interval) and keeps the
// last result of each, for scrapes to read; check scans live.
package scans

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/tlsscan"
)

// Report is the last scan of one target.
type Report struct {
	Target config.Target
	// Result is the last successful scan; nil before one succeeded.
	Result *tlsscan.Result
	// Err is why the last scan failed; nil when it succeeded.
	Err error
	// At is when the last scan ended, LastSuccess when one last succeeded.
	At, LastSuccess time.Time
}

// Scanner scans the targets of one configuration.
type Scanner struct {
	cfg *config.Config
	mu  sync.Mutex
	// last holds a report per target, in configuration order.
	last []Report
}

// New returns a Scanner for cfg's targets; nothing is scanned yet.
func New(cfg *config.Config) *Scanner {
	s := &Scanner{cfg: cfg, last: make([]Report, len(cfg.Targets))}
	for i, t := range cfg.Targets {
		s.last[i].Target = t
	}
	return s
}

// Last returns the last report of every target (Result and Err both nil
// for a target not scanned yet).
func (s *Scanner) Last() []Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Report(nil), s.last...)
}

// ScanAll scans every target once, the targets concurrently, each bounded
// by ctx, and returns the reports.
func (s *Scanner) ScanAll(ctx context.Context) []Report {
	var wg sync.WaitGroup
	for i, t := range s.cfg.Targets {
		wg.Go(func() {
			res, err := tlsscan.Scan(ctx, tlsscan.Options{Address: t.Address, ServerName: t.ServerName,
				Direct: t.Negotiation == config.NegotiationDirect, Interval: s.cfg.ScanSpacing(), Timeout: s.cfg.TargetTimeout(t), Dialer: &net.Dialer{}})
			s.mu.Lock()
			defer s.mu.Unlock()
			r := &s.last[i]
			r.At, r.Err = time.Now(), err
			if err == nil {
				r.Result, r.LastSuccess = res, r.At
			}
		})
	}
	wg.Wait()
	return s.Last()
}

// Run scans every target now and then every scan.interval, until ctx
// ends. Each round is bounded by the interval.
func (s *Scanner) Run(ctx context.Context) {
	interval := s.cfg.ScanInterval()
	for {
		round, cancel := context.WithTimeout(ctx, interval)
		s.ScanAll(round)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
