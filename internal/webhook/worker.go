package webhook

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/magflow/pgtls_exporter/internal/renew"
)

// runTimeout bounds one renew run, the wait for renew's lock included;
// a run still going then is interrupted, and renew rolls back.
const runTimeout = 15 * time.Minute

// RunFunc runs renew once and returns its exit code; renew.Run.
type RunFunc func(ctx context.Context, opts renew.Options) int

// job is an admitted action on an entry, with the alert that caused it.
type job struct {
	entry       string
	action      Action
	fingerprint string
	code        string
}

// enqueue adds an admitted job and wakes the worker.
func (s *Server) enqueue(j job) {
	s.mu.Lock()
	s.queue = append(s.queue, j)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest queued job.
func (s *Server) next() (job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return job{}, false
	}
	j := s.queue[0]
	s.queue = s.queue[1:]
	return j, true
}

// work runs the queued jobs one after the other until ctx ends; jobs
// still queued then are dropped (and logged).
func (s *Server) work(ctx context.Context) {
	for {
		if ctx.Err() != nil {
			for j, ok := s.next(); ok; j, ok = s.next() {
				s.logger.Warn("webhook stopping: queued action dropped", "entry", j.entry, "action", j.action, "fingerprint", j.fingerprint)
			}
			return
		}
		j, ok := s.next()
		if !ok {
			select {
			case <-ctx.Done():
			case <-s.wake:
			}
			continue
		}
		s.runJob(ctx, j)
	}
}

// runJob runs renew for one entry: a renewal, or for reload a forced one
// (renew has no reload alone: a new certificate is issued, installed,
// reloaded and verified, or rolled back). In dry-run mode renew prints
// its plan and writes nothing. renew's output is logged.
func (s *Server) runJob(ctx context.Context, j job) {
	dryRun := s.config().Webhook.DryRun
	var out bytes.Buffer
	var renewed []string
	recorded := false
	opts := renew.Options{ConfigFile: s.opts.ConfigFile, Only: []string{j.entry}, Force: j.action == ActionReload,
		DryRun: dryRun, Wait: true, Out: &out, Logger: s.logger,
		Renewed: func(entries []string) { renewed, recorded = entries, true }}
	s.logger.Info("webhook runs renew", "entry", j.entry, "action", j.action, "dry_run", dryRun,
		"fingerprint", j.fingerprint, "code", j.code)
	start := s.now()
	runCtx, cancel := context.WithTimeout(ctx, runTimeout)
	code := s.run(runCtx, opts)
	cancel()
	end := s.now()
	s.limiter.done(j.entry, end)
	result := runResult(code, dryRun)
	level := slog.LevelInfo
	if code != renew.ExitOK {
		level = slog.LevelError
	}
	if code == renew.ExitOK && !dryRun && recorded && !slices.Contains(renewed, j.entry) {
		// renew judged the entry not due (renew.renew_before shorter than
		// the alert's threshold): the alert stays firing, nothing was done.
		result, level = resultNothingDue, slog.LevelWarn
	}
	s.metrics.ran(j, result, float64(end.UnixMilli())/1000)
	s.logger.Log(ctx, level, "webhook renew finished", "entry", j.entry, "action", j.action, "exit_code", code,
		"result", result, "took", end.Sub(start).Round(time.Millisecond), "output", strings.TrimSpace(out.String()))
}
