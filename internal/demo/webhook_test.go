package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// TestWebhookEvents: the webhook's JSON log lines about decisions and
// runs become the loop's lines; other lines are none.
func TestWebhookEvents(t *testing.T) {
	events := make(chan string, 10)
	var log strings.Builder
	w := &eventWriter{log: &log, events: events}
	lines := []string{
		`{"time":"t","level":"INFO","source":"handler.go:78","msg":"webhook decision","fingerprint":"f","status":"firing","code":"expires_soon","alert_source":"files","subject":"postgres","action":"renew","entry":"postgres","decision":"queued"}`,
		`{"time":"t","level":"INFO","msg":"webhook runs renew","entry":"postgres","action":"renew","dry_run":false}`,
		`{"time":"t","level":"INFO","msg":"issued certificate","entry":"postgres"}`,
		`{"time":"t","level":"INFO","msg":"webhook renew finished","entry":"postgres","action":"renew","exit_code":0,"result":"ok","took":"128ms"}`,
		`{"time":"t","level":"INFO","msg":"webhook decision","status":"resolved","code":"expires_soon","alert_source":"probes","subject":"postgres","action":"renew","entry":"","decision":"resolved"}`,
		`{"time":"t","level":"ERROR","msg":"webhook cannot start","err":"no authentication"}`,
		`not JSON`,
	}
	text := strings.Join(lines, "\n") + "\n"
	// Written in pieces that cut lines, as a pipe delivers them.
	for _, part := range []string{text[:50], text[50:400], text[400:]} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	close(events)
	var got []string
	for ev := range events {
		got = append(got, ev)
	}
	want := []string{
		"decision: firing expires_soon on postgres (files) -> renew postgres queued",
		"runs renew for postgres (renew)",
		"renew finished: ok, exit 0, in 128ms",
		"decision: resolved expires_soon on postgres (probes) -> resolved",
		"error: webhook cannot start: no authentication",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if log.String() != text {
		t.Fatal("the log is not copied whole")
	}
	if !resolvedEvent.MatchString(want[3]) || resolvedEvent.MatchString(want[0]) {
		t.Fatal("resolvedEvent does not tell the resolved decision")
	}
}

// TestAlertmanagerConfig: amtool accepts the demo's Alertmanager
// configuration.
func TestAlertmanagerConfig(t *testing.T) {
	amtool, err := exec.LookPath("amtool")
	if err != nil {
		testenv.SkipOrFatal(t, "amtool not installed (Debian package prometheus-alertmanager)")
	}
	dir := t.TempDir()
	pw := testcerts.WriteFile(t, filepath.Join(dir, "pw"), []byte("secret\n"), 0o600)
	cfg := testcerts.WriteFile(t, filepath.Join(dir, "alertmanager.yml"), []byte(alertmanagerConfig("http://127.0.0.1:9872", webhookUser, pw)), 0o644)
	out, err := exec.Command(amtool, "check-config", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
}
