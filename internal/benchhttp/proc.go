package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
const clockTicks = 100

// process is a server the harness started and measures.
type process struct {
	name string
	cmd  *exec.Cmd
	base string // http://host:port
	log  bytes.Buffer
}

// start runs argv and waits until url answers 200.
func start(ctx context.Context, name, base, readyPath string, argv ...string) (*process, error) {
	p := &process{name: name, base: base}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if code, _, err := get(ctx, base+readyPath, nil); err == nil && code == http.StatusOK {
			return p, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, fmt.Errorf("%s did not get ready:\n%s", name, p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the process and waits for it.
func (p *process) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// cpu is the process's user+system CPU time so far.
func (p *process) cpu() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read stat of %s: %w", p.name, err)
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line.
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse stat of %s: %q", p.name, rest)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// rss is the process's resident set now and at its peak, in bytes.
func (p *process) rss() (now, peak int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read status of %s: %w", p.name, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			if f[0] == "VmRSS:" {
				now = kb * 1024
			} else {
				peak = kb * 1024
			}
		}
	}
	return now, peak, nil
}

// prometheusHeaders are what Prometheus 2.42 sends with a scrape.
func prometheusHeaders(timeout time.Duration) http.Header {
	return http.Header{
		"Accept":                              {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"},
		"Accept-Encoding":                     {"gzip"},
		"User-Agent":                          {"Prometheus/2.42.0"},
		"X-Prometheus-Scrape-Timeout-Seconds": {strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64)},
	}
}

// get fetches url with headers and returns the status and the body, gunzipped
// when the server compressed it (as the transport would not, since the
// Accept-Encoding header is set by hand, as Prometheus sets it).
func get(ctx context.Context, url string, h http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return 0, nil, fmt.Errorf("gunzip %s: %w", url, err)
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	return resp.StatusCode, data, err
}
