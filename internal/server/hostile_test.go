package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadNeedsLifecycleFlag: without --web.enable-lifecycle, POST
// /-/reload is refused as Prometheus refuses it, and nothing is reloaded.
func TestReloadNeedsLifecycleFlag(t *testing.T) {
	srv, cfgPath := newTestServer(t, func(o *Options) { o.EnableLifecycle = false })
	h := srv.Handler()
	if err := os.WriteFile(cfgPath, []byte("ca: {cert: ca.crt}\ncertificates: [{name: other, cert: pg.crt}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{http.MethodPost, http.MethodPut} {
		if code, body := get(t, h, method, "/-/reload"); code != http.StatusForbidden || body != "Lifecycle API is not enabled." {
			t.Fatalf("%s /-/reload: %d %q", method, code, body)
		}
	}
	if code, _ := get(t, h, http.MethodGet, "/-/reload"); code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /-/reload: %d", code)
	}
	if _, metrics := get(t, h, http.MethodGet, "/metrics"); strings.Contains(metrics, `name="other"`) {
		t.Fatal("the configuration was reloaded")
	}
	if err := srv.Reload(); err != nil { // what SIGHUP does
		t.Fatal(err)
	}
	if err := srv.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, metrics := get(t, h, http.MethodGet, "/metrics"); !strings.Contains(metrics, `name="other"`) {
		t.Fatal("Reload (SIGHUP) did not reload")
	}
}

// TestReloadRefusesSpecialFiles: a configuration path that became a FIFO
// or a link to /dev/zero is refused at once, without blocking or reading
// without end, and the running configuration stays.
func TestReloadRefusesSpecialFiles(t *testing.T) {
	for name, tc := range map[string]struct {
		make func(path string) error
		want string
	}{
		"FIFO":              {func(p string) error { return syscall.Mkfifo(p, 0o644) }, "is a named pipe (FIFO), not a regular file"},
		"link to /dev/zero": {func(p string) error { return os.Symlink("/dev/zero", p) }, "is a character device, not a regular file"},
	} {
		t.Run(name, func(t *testing.T) {
			srv, cfgPath := newTestServer(t)
			h := srv.Handler()
			if err := os.Remove(cfgPath); err != nil {
				t.Fatal(err)
			}
			if err := tc.make(cfgPath); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			var code int
			var body string
			go func() { code, body = get(t, h, http.MethodPost, "/-/reload"); close(done) }()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatal("POST /-/reload blocks")
			}
			want := "failed to reload config: read config file: read " + cfgPath + ": " + tc.want + "\n"
			if code != http.StatusInternalServerError || body != want {
				t.Fatalf("reload: %d %q\nwant %q", code, body, want)
			}
			_, metrics := get(t, h, http.MethodGet, "/metrics")
			if !strings.Contains(metrics, "pgtls_config_last_reload_successful 0") ||
				!strings.Contains(metrics, `pgtls_file_read_success{name="pg",path="pg.crt"} 1`) {
				t.Fatalf("running config not kept:\n%s", metrics)
			}
		})
	}
}

// TestScrapeTimeoutHeaderClamped: absurd timeouts are cut to
// MaxScrapeTimeout (never overflowing to a zero or negative deadline), and
// nonsense means the default.
func TestScrapeTimeoutHeaderClamped(t *testing.T) {
	srv, _ := newTestServer(t)
	maxLessOffset := MaxScrapeTimeout - 500*time.Millisecond
	for header, want := range map[string]time.Duration{
		"1e300": maxLessOffset, "Inf": maxLessOffset, "+Inf": maxLessOffset, "99999999999": maxLessOffset,
		"1e400": maxLessOffset, "300": maxLessOffset, "299.5": MaxScrapeTimeout - time.Second,
		"NaN": 5 * time.Second, "-1": 5 * time.Second, "-Inf": 5 * time.Second, "0": 5 * time.Second,
		"-1e400": 5 * time.Second, "ten": 5 * time.Second, " 3 ": 2500 * time.Millisecond,
		"1e-300": time.Millisecond,
	} {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", header)
		if got := srv.scrapeTimeout(r); got != want {
			t.Errorf("header %q: %v, want %v", header, got, want)
		}
	}
}

// TestProbeWithHugeScrapeTimeout: a healthy probe with an absurd header
// runs with the clamped deadline instead of failing at once.
func TestProbeWithHugeScrapeTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // a server that refuses TLS: the probe gets past dialing
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 8)
			_, _ = io.ReadFull(c, buf)
			_, _ = c.Write([]byte("N"))
			c.Close()
		}
	}()
	var logs bytes.Buffer // the handler logs in the request's goroutine
	srv, _ := newTestServer(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	srv.current().cfg.Probe.AllowUnlistedTargets = true
	for _, header := range []string{"1e300", "Inf", "99999999999"} {
		logs.Reset()
		r := httptest.NewRequest(http.MethodGet, "/probe?target="+l.Addr().String(), nil)
		r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", header)
		srv.Handler().ServeHTTP(httptest.NewRecorder(), r)
		if got := logs.String(); !strings.Contains(got, "server does not offer TLS (answered N to SSLRequest)") || strings.Contains(got, "timed out") {
			t.Fatalf("header %s: the probe did not get past its deadline:\n%s", header, got)
		}
	}
}

// TestHTTPServerTimeouts: every timeout is set, and a response may take
// as long as the longest scrape the server accepts.
func TestHTTPServerTimeouts(t *testing.T) {
	srv, _ := newTestServer(t)
	hs := srv.httpServer(newConnLimiter(4))
	if hs.ReadHeaderTimeout != 10*time.Second || hs.ReadTimeout != 10*time.Second || hs.IdleTimeout != 30*time.Second ||
		hs.WriteTimeout != MaxScrapeTimeout+30*time.Second || hs.ConnState == nil {
		t.Fatalf("server: header %v read %v idle %v write %v", hs.ReadHeaderTimeout, hs.ReadTimeout, hs.IdleTimeout, hs.WriteTimeout)
	}
}

// TestIdleConnectionsMakeRoom: at the connection limit, the longest idle
// keep-alive connection is closed for a new one, so a scrape is served
// however many clients connect and idle.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	const limit, clients = 4, 10
	srv, _ := newTestServer(t)
	conns := newConnLimiter(limit)
	hs := srv.httpServer(conns)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(l) }()
	defer hs.Close()
	request := func(c net.Conn, r *bufio.Reader) error {
		if err := c.SetDeadline(time.Now().Add(time.Minute)); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(c, "GET /-/healthy HTTP/1.1\r\nHost: exporter\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && (resp.StatusCode != 200 || string(body) != "Healthy\n") {
			err = fmt.Errorf("status %d %q", resp.StatusCode, body)
		}
		return err
	}
	type client struct {
		c net.Conn
		r *bufio.Reader
	}
	var open []client
	for i := range clients {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cl := client{c, bufio.NewReader(c)}
		if err := request(cl.c, cl.r); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		open = append(open, cl)
	}
	if n := conns.open(); n != limit {
		t.Fatalf("server holds %d connections, want %d", n, limit)
	}
	closed := 0
	for _, cl := range open {
		if request(cl.c, cl.r) != nil {
			closed++
		}
	}
	if closed != clients-limit {
		t.Fatalf("%d idle connections closed by the server, want %d", closed, clients-limit)
	}
	resp, err := http.Get("http://" + l.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "pgtls_config_last_reload_successful 1") {
		t.Fatalf("scrape: %d\n%s", resp.StatusCode, body)
	}
}
