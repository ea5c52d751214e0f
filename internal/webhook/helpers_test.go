package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/magflow/pgtls_exporter/internal/renew"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// Basic auth of the tests: Alertmanager's user and password, and the
// password's bcrypt hash as exporter-toolkit's web configuration holds it.
const (
	amUser     = "alertmanager"
	amPassword = "alertmanager-secret"
	amHash     = "$2a$10$MPNs0Q/zg4h2mmKSrIHV1.kREq8w.hy.Vr7YNw1XlUZmMZ/o1LJei"
)

// testConfig has three entries, a target serving postgres, and the
// webhook settings in extra.
const testConfig = `certificates:
  - {name: postgres, cert: postgres.crt}
  - {name: pgbouncer, cert: pgbouncer.crt}
  - {name: replica, cert: replica.crt}
targets:
  - {name: db-primary, address: "127.0.0.1:5432", certificate: postgres}
  - {name: lonely, address: "127.0.0.1:5433"}
renew: {state_dir: renew-state}
`

// writeConfig writes testConfig with extra appended into a new folder.
func writeConfig(t *testing.T, extra string) string {
	t.Helper()
	return testcerts.WriteFile(t, filepath.Join(t.TempDir(), "config.yml"), []byte(testConfig+extra), 0o644)
}

// fakeRenew records the renew runs it is asked for; each run waits until
// release is closed (when set) and exits with code.
type fakeRenew struct {
	mu      sync.Mutex
	runs    []renew.Options
	code    int
	release chan struct{}
	ran     chan struct{}
	// renewed is what the run reports renewed; nil: the entries it was
	// asked for.
	renewed []string
}

func newFakeRenew() *fakeRenew { return &fakeRenew{ran: make(chan struct{}, 100)} }

func (f *fakeRenew) run(ctx context.Context, opts renew.Options) int {
	f.mu.Lock()
	f.runs = append(f.runs, opts)
	release, code, renewed := f.release, f.code, f.renewed
	f.mu.Unlock()
	if renewed == nil {
		renewed = opts.Only
	}
	if opts.Renewed != nil && !opts.DryRun {
		opts.Renewed(renewed)
	}
	if release != nil {
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	f.ran <- struct{}{}
	return code
}

// calls lists the runs as "entry force dry-run".
func (f *fakeRenew) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, o := range f.runs {
		out = append(out, fmt.Sprintf("%s force=%v dry_run=%v wait=%v", strings.Join(o.Only, ","), o.Force, o.DryRun, o.Wait))
	}
	return out
}

// waitRuns waits until n runs have ended.
func (f *fakeRenew) waitRuns(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-f.ran:
		case <-time.After(10 * time.Second):
			t.Fatalf("gave up waiting for %d renew runs: %v", n, f.calls())
		}
	}
}

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// loopback is a web.FlagConfig without a web configuration on a loopback
// port.
func loopback(t *testing.T, webConfigFile string) *web.FlagConfig {
	t.Helper()
	addrs := []string{fmt.Sprintf("127.0.0.1:%d", testenv.PortT(t))}
	systemd := false
	return &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &webConfigFile}
}

// quiet is a logger for tests that do not read the log.
func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testServer is a webhook whose handler is served by httptest (no
// authentication) with its worker running, a fake renew and a clock.
type testServer struct {
	*Server
	url   string
	renew *fakeRenew
	clock *clock
}

func newTestServer(t *testing.T, extra string) *testServer {
	t.Helper()
	f, c := newFakeRenew(), &clock{now: time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)}
	s, err := New(Options{ConfigFile: writeConfig(t, extra), WebConfig: loopback(t, ""), AllowUnauthenticated: true,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), Run: f.run, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.work(ctx); close(done) }()
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); cancel(); <-done })
	return &testServer{Server: s, url: hs.URL, renew: f, clock: c}
}

// alert is a firing alert of a pgtls_problem code.
func alert(fingerprint, code, source, subject string) Alert {
	return Alert{Status: statusFiring, Fingerprint: fingerprint,
		Labels: map[string]string{"alertname": "PgTLS", "code": code, "source": source, "subject": subject, "severity": "x"}}
}

// notification is Alertmanager's notification of alerts, as JSON.
func notification(t *testing.T, group string, alerts ...Alert) string {
	t.Helper()
	data, err := json.Marshal(Payload{Version: "4", GroupKey: group, Status: statusFiring, Receiver: "pgtls-webhook", Alerts: alerts})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// post sends body to url with basic auth when user is not empty, and
// returns the status and the body of the answer.
func post(t *testing.T, method, url, body, user, password string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(data)
}

// scrape returns the lines of url's /metrics that start with one of the
// prefixes.
func scrape(t *testing.T, base, user, password string, prefixes ...string) []string {
	t.Helper()
	status, body := post(t, http.MethodGet, base+"/metrics", "", user, password)
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, body)
	}
	var out []string
	for _, line := range strings.Split(body, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				out = append(out, line)
			}
		}
	}
	return out
}

// writeWebConfig writes an exporter-toolkit web configuration.
func writeWebConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
