package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// webhookUser is the user Alertmanager authenticates as.
const webhookUser = "alertmanager"

// webhookRun is the running webhook: where Alertmanager's password is,
// and the lines about its decisions and runs.
type webhookRun struct {
	passwordFile string
	events       chan string
	stop         func()
}

// startWebhook writes a random password for Alertmanager and the
// webhook's web configuration with its bcrypt hash, then runs
// `pgtls_exporter webhook` in the demo folder with JSON logs into
// webhook.log, turning the lines about decisions and runs into events.
func startWebhook(ctx context.Context, pgtls exporter, listen string) (*webhookRun, error) {
	password := rand.Text()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("hash the webhook password: %w", err)
	}
	run := &webhookRun{passwordFile: filepath.Join(pgtls.dir, "secrets", "webhook_password"), events: make(chan string, 100)}
	if err := writeFile(run.passwordFile, password+"\n", 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(pgtls.dir, "webhook-web.yml"), fmt.Sprintf("basic_auth_users:\n  %s: %s\n", webhookUser, hash), 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(pgtls.dir, "webhook.log"))
	if err != nil {
		return nil, fmt.Errorf("webhook log: %w", err)
	}
	args := []string{"webhook", configFlag, "--web.listen-address=" + listen, "--web.config.file=webhook-web.yml", "--log.format=json"}
	fmt.Fprint(pgtls.out, header("The webhook, Alertmanager's receiver (basic auth; its log in webhook.log)", args))
	stop, err := startProcess(pgtls.cmd(ctx, args), &eventWriter{log: logFile, events: run.events}, "webhook on "+listen,
		func() bool { return answers200(ctx, "http://"+listen+"/-/healthy", webhookUser, password) })
	if err != nil {
		logFile.Close()
		return nil, err
	}
	run.stop = func() { stop(); logFile.Close() }
	return run, nil
}

// eventWriter copies the webhook's log and sends the lines about its
// decisions and runs, as webhookEvent words them, to events (dropped when
// nobody reads them).
type eventWriter struct {
	log    io.Writer
	events chan<- string
	mu     sync.Mutex
	buf    []byte
}

// Write implements io.Writer.
func (w *eventWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.log.Write(p); err != nil {
		return 0, err
	}
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if ev, ok := webhookEvent(w.buf[:i]); ok {
			select {
			case w.events <- ev:
			default:
			}
		}
		w.buf = w.buf[i+1:]
	}
}

// webhookEvent words a JSON log line of the webhook about a decision or a
// run; other lines are no event.
func webhookEvent(line []byte) (string, bool) {
	var l map[string]any
	if err := json.Unmarshal(line, &l); err != nil {
		return "", false
	}
	switch l["msg"] {
	case "webhook decision":
		what := fmt.Sprintf("%v %v on %v (%v)", l["status"], l["code"], l["subject"], l["alert_source"])
		if l["decision"] == "queued" {
			return fmt.Sprintf("decision: %s -> %v %v queued", what, l["action"], l["entry"]), true
		}
		return fmt.Sprintf("decision: %s -> %v", what, l["decision"]), true
	case "webhook runs renew":
		return fmt.Sprintf("runs renew for %v (%v)", l["entry"], l["action"]), true
	case "webhook renew finished":
		return fmt.Sprintf("renew finished: %v, exit %v, in %v", l["result"], l["exit_code"], l["took"]), true
	}
	if l["level"] == "ERROR" {
		return fmt.Sprintf("error: %v: %v", l["msg"], l["err"]), true
	}
	return "", false
}
