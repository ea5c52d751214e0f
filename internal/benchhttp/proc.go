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
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// process is a server the harness started and measures.
type process struct {
	name string
	cmd  *exec.Cmd
	base string // http://host:port
	log  bytes.Buffer
	// exited is closed once the process has exited; waitErr says how.
	exited  chan struct{}
	waitErr error
}

// start runs argv and waits until url answers 200.
func start(ctx context.Context, name, base, readyPath string, argv ...string) (*process, error) {
	p := &process{name: name, base: base, exited: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if code, _, err := get(ctx, base+readyPath, nil); err == nil && code == http.StatusOK {
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before it got ready (%v):\n%s", name, p.waitErr, p.log.String())
		default:
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
	<-p.exited
}

// cpu is the CPU time the process's threads have run so far, from the
// scheduler's nanosecond accounting (/proc/PID/task/*/schedstat): exact
// where utime and stime in /proc/PID/stat count 10 ms ticks. Go threads
// do not exit, so no time is lost with them.
func (p *process) cpu() (time.Duration, error) {
	var total int64
	err := p.eachTask("schedstat", func(data string) error {
		f := strings.Fields(data)
		if len(f) == 0 {
			return fmt.Errorf("empty schedstat")
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		total += ns
		return err
	})
	return time.Duration(total), err
}

// switches is how many times the process's threads have been switched
// out so far, voluntarily or not.
func (p *process) switches() (int64, error) {
	var total int64
	err := p.eachTask("status", func(data string) error {
		for _, line := range strings.Split(data, "\n") {
			if f := strings.Fields(line); len(f) == 2 && strings.HasSuffix(f[0], "ctxt_switches:") {
				n, err := strconv.ParseInt(f[1], 10, 64)
				if err != nil {
					return err
				}
				total += n
			}
		}
		return nil
	})
	return total, err
}

// eachTask calls fn with the file name of every thread of the process.
func (p *process) eachTask(name string, fn func(string) error) error {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/%s", p.cmd.Process.Pid, name))
	if err != nil || len(tasks) == 0 {
		return fmt.Errorf("no threads of %s in /proc: %v", p.name, err)
	}
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue // the thread exited
		}
		if err := fn(string(data)); err != nil {
			return fmt.Errorf("parse %s: %w", t, err)
		}
	}
	return nil
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
