// Package server runs the exporter's HTTP side: /metrics, /-/healthy,
// /-/reload, the landing page, and configuration reloads on SIGHUP.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/rules"
)

// Options configure the server.
type Options struct {
	ConfigFile string
	WebConfig  *web.FlagConfig
	Logger     *slog.Logger
	// DefaultScrapeTimeout bounds a scrape that sends no
	// X-Prometheus-Scrape-Timeout-Seconds header.
	DefaultScrapeTimeout time.Duration
	// TimeoutOffset is subtracted from the scrape timeout Prometheus sends,
	// to leave room for the reply.
	TimeoutOffset time.Duration
	// EnableLifecycle allows POST /-/reload; without it the endpoint
	// answers 403 (SIGHUP always reloads).
	EnableLifecycle bool
	// MaxConnections bounds the HTTP connections open at once; zero means
	// DefaultMaxConnections.
	MaxConnections int
}

// MaxScrapeTimeout bounds the scrape timeout a request may ask for with
// X-Prometheus-Scrape-Timeout-Seconds; larger values (and Inf) are cut to it.
const MaxScrapeTimeout = 5 * time.Minute

// HTTP server timeouts. A response may take as long as the longest scrape
// the server accepts, plus writeSlack. Requests have no body: the whole
// request has as long as its header, which sets one read deadline per
// request instead of two.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = readHeaderTimeout
	idleTimeout       = 30 * time.Second
	writeSlack        = 30 * time.Second
)

// Server holds the running configuration and its collectors.
type Server struct {
	opts     Options
	logger   *slog.Logger
	registry *prometheus.Registry

	reloadOK   prometheus.Gauge
	reloadTime prometheus.Gauge

	mu sync.RWMutex
	rt *runtime
}

// New loads the configuration and builds the server; it fails when the
// configuration cannot be read or is invalid.
func New(opts Options) (*Server, error) {
	s := &Server{opts: opts, logger: opts.Logger, registry: prometheus.NewRegistry()}
	s.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: collector.Namespace,
		Name: "config_last_reload_successful", Help: "Whether the last configuration load succeeded."})
	s.reloadTime = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: collector.Namespace,
		Name: "config_last_reload_success_timestamp_seconds", Help: "Time of the last successful configuration load."})
	s.registry.MustRegister(s.reloadOK, s.reloadTime,
		versioncollector.NewCollector("pgtls_exporter"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cfg, err := rules.Load(s.opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	s.install(cfg)
	return s, nil
}

// Reload loads the configuration file again. On failure the running
// configuration stays in force and the failure is logged and exported.
func (s *Server) Reload() error {
	cfg, err := rules.Load(s.opts.ConfigFile)
	if err != nil {
		s.reloadOK.Set(0)
		s.logger.Error("configuration not loaded; keeping the running one", "file", s.opts.ConfigFile, "err", err)
		return err
	}
	s.install(cfg)
	return nil
}

// install puts a loaded configuration in force.
func (s *Server) install(cfg *config.Config) {
	rt := build(cfg, s.logger)
	go rt.warm(context.Background())
	s.mu.Lock()
	old := s.rt
	s.rt = rt
	s.mu.Unlock()
	s.closeRuntime(old)
	s.reloadOK.Set(1)
	s.reloadTime.SetToCurrentTime()
	s.logger.Info("configuration loaded", "file", s.opts.ConfigFile,
		"certificates", len(cfg.Certificates), "targets", len(cfg.Targets))
}

// WaitReady waits until the running configuration's certificate files
// have all been read (what /-/ready reports), or ctx ends.
func (s *Server) WaitReady(ctx context.Context) error {
	select {
	case <-s.current().warmed:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the certificate files to be read: %w", ctx.Err())
	}
}

// current returns the running configuration's runtime.
func (s *Server) current() *runtime {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rt
}

// Handler returns the HTTP handler with every endpoint.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", s.serveMetrics)
	mux.HandleFunc("/probe", s.serveProbe)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/ready", s.serveReady)
	mux.HandleFunc("/-/reload", s.serveReload)
	// The landing page links to the running configuration's first target.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if landing := s.current().landing; landing != nil {
			landing.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
	return mux
}

// newLanding returns the landing page for cfg, or nil (logged) when it
// cannot be built.
func newLanding(cfg *config.Config, logger *slog.Logger) http.Handler {
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "pgtls_exporter",
		Description: "TLS of PgBouncer and PostgreSQL: certificate files, served certificates, sessions",
		Version:     version.Info(),
		Links:       landingLinks(cfg),
		Profiling:   "false", // no pprof endpoints are served
	})
	if err != nil {
		logger.Error("landing page unavailable", "err", err)
		return nil
	}
	return landing
}

// serveReady answers 200 once the running configuration's certificate
// files have all been read (warm), 503 with the progress before.
func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request) {
	rt := s.current()
	if rt.ready.Load() {
		fmt.Fprintln(w, "Ready")
		return
	}
	done, total := rt.sources.Inspector.Progress()
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, "Warming up: %d of %d certificate entries read\n", done, total)
}

func (s *Server) serveReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "reload needs POST or PUT", http.StatusMethodNotAllowed)
		return
	}
	if !s.opts.EnableLifecycle {
		// Prometheus' answer, word for word.
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("Lifecycle API is not enabled."))
		return
	}
	if err := s.Reload(); err != nil {
		http.Error(w, fmt.Sprintf("failed to reload config: %v", err), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "configuration reloaded")
}

// scrapeTimeout is Prometheus' X-Prometheus-Scrape-Timeout-Seconds, at
// most MaxScrapeTimeout, less the offset; the default when the header is
// missing, not a number, NaN, zero or negative.
func (s *Server) scrapeTimeout(r *http.Request) time.Duration {
	v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds")
	secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if (err != nil && !errors.Is(err, strconv.ErrRange)) || math.IsNaN(secs) || secs <= 0 {
		return s.opts.DefaultScrapeTimeout
	}
	d := MaxScrapeTimeout // also for +Inf and values beyond float64
	if secs < MaxScrapeTimeout.Seconds() {
		d = max(time.Duration(secs*float64(time.Second)), time.Millisecond)
	}
	if d > s.opts.TimeoutOffset {
		d -= s.opts.TimeoutOffset
	}
	return d
}

// Run serves until ctx ends, reloading the configuration on SIGHUP.
func (s *Server) Run(ctx context.Context) error {
	defer func() { _ = s.Close() }()
	stopHUP := OnSIGHUP(ctx, func() { _ = s.Reload() }) // logged and exported by Reload
	defer stopHUP()
	limit := s.opts.MaxConnections
	if limit <= 0 {
		limit = DefaultMaxConnections()
	}
	conns := newConnLimiter(limit)
	return ListenAndServe(ctx, s.httpServer(conns), s.opts.WebConfig, s.logger, conns.stop)
}

// httpServer is the HTTP server with its timeouts and connection limit: a
// response may take as long as the longest scrape accepted.
func (s *Server) httpServer(conns *connLimiter) *http.Server {
	return &http.Server{Handler: s.Handler(), ConnState: conns.connState,
		ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout, IdleTimeout: idleTimeout,
		WriteTimeout: max(MaxScrapeTimeout, s.opts.DefaultScrapeTimeout) + writeSlack}
}

// landingLinks are the landing page's links: metrics, and a probe of the
// first configured target when there is one.
func landingLinks(cfg *config.Config) []web.LandingLinks {
	links := []web.LandingLinks{{Address: "/metrics", Text: "Metrics"}}
	if len(cfg.Targets) > 0 {
		links = append(links, web.LandingLinks{Address: "/probe?target=" + url.QueryEscape(cfg.Targets[0].Name), Text: "Probe a configured target"})
	}
	return links
}
