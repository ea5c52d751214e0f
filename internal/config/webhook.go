package config

import (
	"time"

	"github.com/prometheus/common/model"

	"github.com/magflow/pgtls_exporter/internal/rules/defaults"
)

// Webhook configures `pgtls_exporter webhook`, which renews an entry when
// Alertmanager reports a problem renew fixes.
type Webhook struct {
	// MinInterval is the least time between two actions on one entry
	// (default 1h).
	MinInterval model.Duration `yaml:"min_interval"`
	// MaxPerHour bounds the actions on all entries in any hour (default 6).
	MaxPerHour int `yaml:"max_per_hour"`
	// DryRun logs and exports what would be done, and writes nothing.
	DryRun bool `yaml:"dry_run"`
}

// WebhookMinInterval is webhook.min_interval with its default.
func (c *Config) WebhookMinInterval() time.Duration {
	if c.Webhook.MinInterval > 0 {
		return time.Duration(c.Webhook.MinInterval)
	}
	return defaults.WebhookMinInterval
}

// WebhookMaxPerHour is webhook.max_per_hour with its default.
func (c *Config) WebhookMaxPerHour() int {
	if c.Webhook.MaxPerHour > 0 {
		return c.Webhook.MaxPerHour
	}
	return defaults.WebhookMaxPerHour
}

func (c *Config) validateWebhook(add func(path, format string, args ...any)) {
	if c.Webhook.MaxPerHour < 0 {
		add("webhook.max_per_hour", "must not be negative, got %d", c.Webhook.MaxPerHour)
	}
	if n := c.Webhook.MaxPerHour; n > defaults.WebhookMaxPerHourCeiling {
		add("webhook.max_per_hour", "%d is more than %d: each action is a renew run that reloads servers", n, defaults.WebhookMaxPerHourCeiling)
	}
}
