package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/issue"
	"github.com/magflow/pgtls_exporter/internal/rules/defaults"
	"github.com/magflow/pgtls_exporter/internal/testenv"
)

// loopLimit bounds the wait for the loop to close.
const loopLimit = 3 * time.Minute

// loopAlert is the alert the loop shows.
const loopAlert = "PgTLSExpiresSoon"

// resolvedEvent is the webhook's word that the loop's alert resolved.
var resolvedEvent = regexp.MustCompile(`^decision: resolved \S+ on postgres `)

// servedSerialRe finds the served leaf's serial in /probe's answer.
var servedSerialRe = regexp.MustCompile(`pgtls_probe_cert_info\{[^}]*serial="([0-9a-f]+)"`)

// showLoop closes the loop from an alert to a served certificate: the
// demo gives PostgreSQL a certificate within warn_before and reloads it;
// Prometheus fires the expiry alert, Alertmanager delivers it to the
// webhook, which renews the entry; PostgreSQL serves the new serial and
// the alert resolves. Each step is printed as it is seen.
func showLoop(ctx context.Context, out io.Writer, certDir string, stack *testenv.Stack, promListen, exporterListen string, events <-chan string) error {
	short, err := shortenPostgres(certDir, time.Now())
	if err != nil {
		return err
	}
	if err := stack.Reload(ctx); err != nil {
		return fmt.Errorf("reload PostgreSQL: %w", err)
	}
	start := time.Now()
	fmt.Fprintf(out, "\n== The loop: the demo, not renew, gives PostgreSQL a certificate that expires in %s (serial %s)\n"+
		"   and reloads it; what follows is Prometheus, Alertmanager, the webhook and renew\n"+
		"   (Alertmanager's route leaves the replica's alerts to people: the demo keeps its faults)\n",
		config.DurationText(defaults.WarnBefore/3), certs.Serial(short))
	step := func(format string, args ...any) {
		fmt.Fprintf(out, "   +%-4s %s\n", time.Since(start).Round(time.Second), fmt.Sprintf(format, args...))
	}
	deadline := time.After(loopLimit)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	phase, resolvedHeard := 0, false
	for phase < 3 || !resolvedHeard {
		select {
		case ev := <-events:
			step("webhook %s", ev)
			resolvedHeard = resolvedHeard || resolvedEvent.MatchString(ev)
		case <-tick.C:
			phase = loopPhase(ctx, step, phase, promListen, exporterListen, certs.Serial(short))
		case <-deadline:
			return fmt.Errorf("the loop did not close within %s (logs in webhook.log, alertmanager/, prometheus/)", loopLimit)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// loopPhase checks for the next step of the loop and prints it when seen:
// 0 the alert fires, 1 a new serial is served, 2 the alert resolves. It
// returns the phase to wait for next.
func loopPhase(ctx context.Context, step func(string, ...any), phase int, promListen, exporterListen, shortSerial string) int {
	switch phase {
	case 0:
		if state, _ := alertState(ctx, promListen, loopAlert, "postgres"); state == "firing" {
			step("Prometheus: %s{subject=\"postgres\"} firing", loopAlert)
			return 1
		}
	case 1:
		if serial, err := servedSerial(ctx, exporterListen); err == nil && serial != shortSerial {
			step("PostgreSQL serves serial %s (was %s)", serial, shortSerial)
			return 2
		}
	case 2:
		if state, err := alertState(ctx, promListen, loopAlert, "postgres"); err == nil && state == "" {
			step("Prometheus: %s{subject=\"postgres\"} resolved", loopAlert)
			return 3
		}
	}
	return phase
}

// shortenPostgres replaces PostgreSQL's certificate, key and combined PEM
// in place (keeping their owners and modes) with a certificate from the
// demo CA that expires within warn_before.
func shortenPostgres(certDir string, now time.Time) (*x509.Certificate, error) {
	cert, keyPEM, err := issueFromDemoCA(certDir, issue.ServerRequest{CommonName: "postgres",
		Names: []string{"postgres", "db", "localhost", "127.0.0.1"}, Validity: defaults.WarnBefore / 3}, now)
	if err != nil {
		return nil, fmt.Errorf("a short-lived PostgreSQL certificate: %w", err)
	}
	certPEM := issue.EncodeCertificate(cert)
	for name, data := range map[string][]byte{"postgres.crt": certPEM, "postgres.key": keyPEM,
		"postgres-combined.pem": append(append([]byte(nil), certPEM...), keyPEM...)} {
		if err := overwrite(filepath.Join(certDir, name), data); err != nil {
			return nil, err
		}
	}
	return cert, nil
}

// overwrite replaces a file's content in place.
func overwrite(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("overwrite %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("overwrite %s: %w", path, err)
	}
	return nil
}

// alertState is the state of Prometheus' alert name on subject: firing,
// pending, or "" when there is none.
func alertState(ctx context.Context, promListen, name, subject string) (string, error) {
	alerts, err := promAlerts(ctx, promListen)
	if err != nil {
		return "", err
	}
	state := ""
	for _, a := range alerts {
		if a.Labels["alertname"] == name && a.Labels["subject"] == subject && (state == "" || a.State == "firing") {
			state = a.State
		}
	}
	return state, nil
}

// servedSerial is the serial PostgreSQL serves, as the exporter's /probe
// sees it.
func servedSerial(ctx context.Context, exporterListen string) (string, error) {
	body, err := fetch(ctx, "http://"+exporterListen+"/probe?target=postgres")
	if err != nil {
		return "", err
	}
	m := servedSerialRe.FindSubmatch(body)
	if m == nil {
		return "", errors.New("the probe of postgres shows no served certificate")
	}
	return string(m[1]), nil
}

// fetch GETs url once, with a timeout.
func fetch(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}
