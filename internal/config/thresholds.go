package config

import (
	"time"

	"github.com/prometheus/common/model"
)

// Default expiry thresholds.
const (
	DefaultWarnBefore   = 30 * 24 * time.Hour
	DefaultCritBefore   = 7 * 24 * time.Hour
	DefaultCAWarnBefore = 90 * 24 * time.Hour
	DefaultCACritBefore = 30 * 24 * time.Hour
)

// Thresholds decide when a certificate's expiry is a warning or critical,
// in check, in the exported problems and so in the alerts.
type Thresholds struct {
	// WarnBefore and CritBefore apply to server certificates, as files and
	// as served (default 30d and 7d).
	WarnBefore model.Duration `yaml:"warn_before"`
	CritBefore model.Duration `yaml:"crit_before"`
	// CAWarnBefore and CACritBefore apply to the CA (default 90d and 30d).
	CAWarnBefore model.Duration `yaml:"ca_warn_before"`
	CACritBefore model.Duration `yaml:"ca_crit_before"`
}

// Durations returns the four thresholds with their defaults:
// warn, crit, CA warn, CA crit.
func (t Thresholds) Durations() (warn, crit, caWarn, caCrit time.Duration) {
	pick := func(v model.Duration, def time.Duration) time.Duration {
		if v > 0 {
			return time.Duration(v)
		}
		return def
	}
	return pick(t.WarnBefore, DefaultWarnBefore), pick(t.CritBefore, DefaultCritBefore),
		pick(t.CAWarnBefore, DefaultCAWarnBefore), pick(t.CACritBefore, DefaultCACritBefore)
}

// validateThresholds refuses negative thresholds and a critical threshold
// that is not below its warning threshold.
func (c *Config) validateThresholds(add func(path, format string, args ...any)) {
	t := c.Thresholds
	for _, f := range []struct {
		key string
		v   model.Duration
	}{{"warn_before", t.WarnBefore}, {"crit_before", t.CritBefore}, {"ca_warn_before", t.CAWarnBefore}, {"ca_crit_before", t.CACritBefore}} {
		if f.v < 0 {
			add("thresholds."+f.key, "must not be negative")
		}
	}
	warn, crit := c.warnSetting(), c.durationSetting("thresholds.crit_before", t.CritBefore, DefaultCritBefore)
	if crit.value >= warn.value {
		add(crit.path, "%s must be shorter than %s", crit.subject(), warn.reference())
	}
	caWarn := c.durationSetting("thresholds.ca_warn_before", t.CAWarnBefore, DefaultCAWarnBefore)
	caCrit := c.durationSetting("thresholds.ca_crit_before", t.CACritBefore, DefaultCACritBefore)
	if caCrit.value >= caWarn.value {
		add(caCrit.path, "%s must be shorter than %s", caCrit.subject(), caWarn.reference())
	}
}

// warnSetting is thresholds.warn_before, for messages.
func (c *Config) warnSetting() setting {
	return c.durationSetting("thresholds.warn_before", c.Thresholds.WarnBefore, DefaultWarnBefore)
}

// StrictKeyOwners lists the entries whose key_owner is set: PostgreSQL
// reads their key, so a mode it refuses is critical.
func (c *Config) StrictKeyOwners() map[string]bool {
	out := make(map[string]bool, len(c.Certificates))
	for _, e := range c.Certificates {
		out[e.Name] = e.KeyOwner != ""
	}
	return out
}

// RenewBefore is when renew treats an entry as due: renew.renew_before,
// or when that is unset thresholds.warn_before, so that renew renews what
// check and the alerts call expires_soon.
func (c *Config) RenewBefore() time.Duration {
	if c.Renew.RenewBefore > 0 {
		return time.Duration(c.Renew.RenewBefore)
	}
	warn, _, _, _ := c.Thresholds.Durations()
	return warn
}
