package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/renew"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/server"
)

// DefaultListenAddress is the webhook's port, next to the exporter's.
const DefaultListenAddress = ":9872"

// HTTP timeouts: notifications are small and answered at once.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
)

// Options configure the webhook.
type Options struct {
	// ConfigFile is the exporter's configuration, which renew reads too.
	ConfigFile string
	// WebConfig is exporter-toolkit's listen addresses and web
	// configuration file (TLS, basic auth).
	WebConfig *web.FlagConfig
	// AllowUnauthenticated lets the webhook serve without authentication
	// when it listens on loopback only.
	AllowUnauthenticated bool
	// Logger logs the decisions and runs; nil discards them.
	Logger *slog.Logger
	// Run runs renew; nil means renew.Run.
	Run RunFunc
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the webhook: its configuration, its admissions and queue, and
// its metrics.
type Server struct {
	opts    Options
	logger  *slog.Logger
	run     RunFunc
	now     func() time.Time
	reg     *prometheus.Registry
	metrics *metrics
	limiter *limiter
	cfg     atomic.Pointer[config.Config]
	state   *stateCollector

	mu    sync.Mutex
	queue []job
	wake  chan struct{}
}

// New loads the configuration and checks that the webhook authenticates
// its clients (see checkAuth); it fails when either is not so.
func New(opts Options) (*Server, error) {
	mode, err := checkAuth(opts.WebConfig, opts.AllowUnauthenticated)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, logger: opts.Logger, run: opts.Run, now: opts.Now, reg: prometheus.NewRegistry(),
		limiter: newLimiter(), state: &stateCollector{}, wake: make(chan struct{}, 1)}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.run == nil {
		s.run = renew.Run
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(s.reg, s.state)
	if mode == "" {
		s.logger.Warn("the webhook serves without authentication (--webhook.allow-unauthenticated, loopback only)")
	} else {
		s.logger.Info("the webhook authenticates its clients", "by", mode)
	}
	if f, a := opts.WebConfig.WebConfigFile, opts.WebConfig.WebListenAddresses; f != nil && a != nil && *f != "" && plainBasicAuth(*f) && nonLoopback(*a) != "" {
		s.logger.Warn("basic auth without TLS on a non-loopback address: Alertmanager's password crosses the network in clear; set tls_server_config", "web_config", *f)
	}
	return s, nil
}

// Reload loads the configuration file again; on failure (logged) the
// running one stays in force.
func (s *Server) Reload() error {
	cfg, err := rules.Load(s.opts.ConfigFile)
	if err != nil {
		s.logger.Error("configuration not loaded; keeping the running one", "file", s.opts.ConfigFile, "err", err)
		return fmt.Errorf("load configuration: %w", err)
	}
	s.cfg.Store(cfg)
	s.state.exporter.Store(collector.NewExporter(s.logger, collector.NewRenew(cfg.RenewStateDir(), s.logger)))
	s.logger.Info("configuration loaded", "file", s.opts.ConfigFile, "certificates", len(cfg.Certificates),
		"min_interval", config.DurationText(cfg.WebhookMinInterval()), "max_per_hour", cfg.WebhookMaxPerHour(),
		"dry_run", cfg.Webhook.DryRun)
	return nil
}

// config is the running configuration.
func (s *Server) config() *config.Config { return s.cfg.Load() }

// Run serves until ctx ends, rereading the configuration on SIGHUP, and
// runs the admitted actions one at a time. When ctx ends, a running renew
// is interrupted (it rolls back) and Run returns once it has.
func (s *Server) Run(ctx context.Context) error {
	stopHUP := server.OnSIGHUP(ctx, func() { _ = s.Reload() }) // Reload logs a failure
	defer stopHUP()
	// The worker stops when ctx ends or serving fails; Run returns once
	// its run under way has ended.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { s.work(ctx) })
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout}
	return server.ListenAndServe(ctx, srv, s.opts.WebConfig, s.logger, nil)
}

// stateCollector exports renew's state folder of the running
// configuration: pgtls_renew_* and its problems (renew_rolled_back, ...).
type stateCollector struct {
	exporter atomic.Pointer[collector.Exporter]
}

// Describe sends nothing: the series depend on the state folder.
func (c *stateCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the state folder.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) { c.exporter.Load().Collect(ch) }
