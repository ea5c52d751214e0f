package config

import (
	"testing"
	"time"
)

func TestWebhookSettings(t *testing.T) {
	const base = "targets: [{name: db, address: \"db:5432\"}]\n"
	cfg, err := Parse([]byte(base), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WebhookMinInterval() != time.Hour || cfg.WebhookMaxPerHour() != 6 || cfg.Webhook.DryRun {
		t.Fatalf("defaults: %v %d %v", cfg.WebhookMinInterval(), cfg.WebhookMaxPerHour(), cfg.Webhook.DryRun)
	}
	cfg, err = Parse([]byte(base+"webhook: {min_interval: 2h30m, max_per_hour: 2, dry_run: true}\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WebhookMinInterval() != 150*time.Minute || cfg.WebhookMaxPerHour() != 2 || !cfg.Webhook.DryRun {
		t.Fatalf("set: %v %d %v", cfg.WebhookMinInterval(), cfg.WebhookMaxPerHour(), cfg.Webhook.DryRun)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"webhook: {max_per_hour: -1}", "webhook.max_per_hour: must not be negative, got -1"},
		{"webhook: {max_per_hour: 61}", "webhook.max_per_hour: 61 is more than 60: each action is a renew run that reloads servers"},
		{"webhook: {min_interval: -1h}", `webhook.min_interval: must not be negative, got "-1h" (line 2)`},
		{"webhook: {min_interval: soon}", `webhook.min_interval: expected a duration such as 30s, 5m or 90d, got "soon" (line 2)`},
		{"webhook: {dry_run: maybe}", `webhook.dry_run: expected true or false, got "maybe" (line 2)`},
		{"webhook: {min_intervall: 1h}", `webhook: unknown key "min_intervall" (line 2); did you mean "min_interval"?`},
	} {
		_, err := Parse([]byte(base+tc.yaml+"\n"), t.TempDir())
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v\nwant %s", tc.yaml, err, tc.want)
		}
	}
}
