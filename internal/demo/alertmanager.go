package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/magflow/pgtls_exporter/internal/webhook"
)

// alertmanagerConfig is the README's route to the webhook, with basic
// auth, grouping within seconds for the demo, and the replica left out:
// its faults stay for people to see.
func alertmanagerConfig(webhookURL, user, passwordFile string) string {
	return "# Demo Alertmanager configuration written by make demo.\n" + webhook.AlertmanagerConfig(webhook.AlertmanagerRoute{
		URL: webhookURL, User: user, PasswordFile: passwordFile, GroupWait: "2s", GroupInterval: "5s", RepeatInterval: "1h",
		Matchers: []string{`subject!="replica"`}})
}

// startAlertmanager runs Debian's Alertmanager on listen with
// alertmanagerConfig, without clustering. It returns a stop function.
func startAlertmanager(ctx context.Context, dir, listen, webhookURL, user, passwordFile string) (func(), error) {
	amDir := filepath.Join(dir, "alertmanager")
	if err := os.MkdirAll(amDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", amDir, err)
	}
	cfg := filepath.Join(amDir, "alertmanager.yml")
	if err := writeFile(cfg, alertmanagerConfig(webhookURL, user, passwordFile), 0o644); err != nil {
		return nil, err
	}
	return startDaemon(ctx, "prometheus-alertmanager", "prometheus-alertmanager", amDir, listen,
		"--config.file="+cfg, "--storage.path="+filepath.Join(amDir, "data"), "--cluster.listen-address=")
}
