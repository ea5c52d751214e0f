package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/common/model"

	"github.com/magflow/pgtls_exporter/internal/rules/defaults"
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
	return pick(t.WarnBefore, defaults.WarnBefore), pick(t.CritBefore, defaults.CritBefore),
		pick(t.CAWarnBefore, defaults.CAWarnBefore), pick(t.CACritBefore, defaults.CACritBefore)
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
	warn, crit := c.warnSetting(), c.durationSetting("thresholds.crit_before", t.CritBefore, defaults.CritBefore)
	if crit.value >= warn.value {
		add(crit.path, "%s must be shorter than %s", crit.subject(), warn.reference())
	}
	caWarn := c.durationSetting("thresholds.ca_warn_before", t.CAWarnBefore, defaults.CAWarnBefore)
	caCrit := c.durationSetting("thresholds.ca_crit_before", t.CACritBefore, defaults.CACritBefore)
	if caCrit.value >= caWarn.value {
		add(caCrit.path, "%s must be shorter than %s", caCrit.subject(), caWarn.reference())
	}
}

// warnSetting is thresholds.warn_before, for messages.
func (c *Config) warnSetting() setting {
	return c.durationSetting("thresholds.warn_before", c.Thresholds.WarnBefore, defaults.WarnBefore)
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

// OverrideThresholds replaces thresholds.warn_before and crit_before with
// values given elsewhere (check's --warn-before and --crit-before; empty
// text keeps the configured value), written as given, and validates the
// thresholds again as the YAML's are: the same messages refuse the same
// values.
func (c *Config) OverrideThresholds(warnText, critText string) error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	for _, o := range []struct {
		path, text string
		dst        *model.Duration
	}{{"thresholds.warn_before", warnText, &c.Thresholds.WarnBefore}, {"thresholds.crit_before", critText, &c.Thresholds.CritBefore}} {
		if o.text == "" {
			continue
		}
		d, err := model.ParseDuration(o.text)
		if err != nil {
			add(o.path, "%v", err)
			continue
		}
		*o.dst = d
		if c.written == nil {
			c.written = map[string]string{}
		}
		c.written[o.path] = o.text
	}
	if len(errs) == 0 {
		c.validateThresholds(add)
	}
	return errors.Join(errs...)
}
