package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxLogged bounds a label value in the log: labels come from outside.
const maxLogged = 200

// Handler returns the webhook's endpoints: POST /alerts, /metrics and
// /-/healthy.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/alerts", s.serveAlerts)
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorLog: promErrorLog{s}}))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	return s.guard(mux)
}

// serveAlerts reads one notification and decides about each alert. It
// answers at once: 202 when an action was queued, 200 otherwise, with the
// count of each result; the actions run in the background.
func (s *Server) serveAlerts(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "alerts are POSTed by Alertmanager's webhook_configs", http.StatusMethodNotAllowed)
		return
	}
	p, err := decodePayload(http.MaxBytesReader(w, r.Body, MaxBody))
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		http.Error(w, fmt.Sprintf("notification larger than %d bytes", MaxBody), http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		s.logger.Warn("webhook refused a request", "remote", r.RemoteAddr, "err", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	counts := map[Result]int{}
	for _, a := range p.Alerts {
		counts[s.handle(a)]++
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if counts[ResultQueued] > 0 {
		w.WriteHeader(http.StatusAccepted)
	}
	var b strings.Builder
	for _, res := range results() {
		if counts[res] > 0 {
			fmt.Fprintf(&b, "%s %d\n", res, counts[res])
		}
	}
	if len(p.Alerts) == 0 {
		b.WriteString("no alerts\n")
	}
	_, _ = w.Write([]byte(b.String()))
}

// handle decides about one alert, admits and queues its action, counts
// and logs the decision.
func (s *Server) handle(a Alert) Result {
	cfg := s.config()
	d := decide(cfg, a)
	if d.result == "" {
		d.result = s.limiter.admit(d.entry, s.now(), cfg.WebhookMinInterval(), cfg.WebhookMaxPerHour())
		if d.result == ResultQueued {
			s.enqueue(job{entry: d.entry, action: d.action, fingerprint: a.Fingerprint, code: a.Labels["code"]})
		}
	}
	s.metrics.alerts.WithLabelValues(string(d.action), string(d.result)).Inc()
	s.logger.Info("webhook decision", "fingerprint", clip(a.Fingerprint), "status", clip(a.Status),
		"code", clip(a.Labels["code"]), "alert_source", clip(a.Labels["source"]), "subject", clip(a.Labels["subject"]),
		"action", d.action, "entry", d.entry, "decision", d.result)
	return d.result
}

// clip bounds a value from outside for the log.
func clip(s string) string {
	if len(s) <= maxLogged {
		return s
	}
	return strings.ToValidUTF8(s[:maxLogged], "") + "..."
}

// promErrorLog logs promhttp's errors.
type promErrorLog struct{ s *Server }

// Println logs a scrape error.
func (l promErrorLog) Println(v ...any) { l.s.logger.Error("scrape failed", "err", fmt.Sprint(v...)) }
