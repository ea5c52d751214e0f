package config

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
)

// setting describes a duration key for a message: the value in force, the
// text the user wrote for it (or the default in the form the docs use),
// and, when the key is unset, where its value comes from.
type setting struct {
	// path names the key in full, e.g. "renew.renew_before".
	path string
	// value is the duration in force.
	value time.Duration
	// text is value as written in the YAML, or as the docs write the default.
	text string
	// written reports that the key is set in the configuration.
	written bool
	// from is the key an unset key takes its value from; nil for a plain default.
	from *setting
}

// durationSetting is the setting at path: v as configured, def when v is unset.
func (c *Config) durationSetting(path string, v model.Duration, def time.Duration) setting {
	if v > 0 {
		return setting{path: path, value: time.Duration(v), text: c.WrittenDuration(path, time.Duration(v)), written: true}
	}
	return setting{path: path, value: def, text: DurationText(def)}
}

// inherit is the setting at path: v as configured, or, when v is unset, the
// value of the key from.
func (c *Config) inherit(path string, v model.Duration, from setting) setting {
	if v > 0 {
		return c.durationSetting(path, v, 0)
	}
	return setting{path: path, value: from.value, text: from.text, from: &from}
}

// subject is how a message starts with the setting's own value:
// "500d", "365d (the default)" or "30d (from thresholds.warn_before)".
func (s setting) subject() string {
	switch {
	case s.written:
		return s.text
	case s.from != nil:
		return fmt.Sprintf("%s (from %s)", s.text, s.from.path)
	}
	return s.text + " (the default)"
}

// reference is how a message names the setting it compares with:
// "thresholds.warn_before (5d)", "thresholds.warn_before, which defaults to
// 30d" or "renew.renew_before, which defaults to thresholds.warn_before (500d)".
func (s setting) reference() string {
	switch {
	case s.written:
		return fmt.Sprintf("%s (%s)", s.path, s.text)
	case s.from != nil:
		return s.path + ", which defaults to " + s.from.reference()
	}
	return s.path + ", which defaults to " + s.text
}

// WrittenDuration is the text the configuration gives for the duration at
// path (e.g. "renew.validity"), when it still reads as d; otherwise d as
// the docs write it (see DurationText).
func (c *Config) WrittenDuration(path string, d time.Duration) string {
	if raw, ok := c.written[path]; ok {
		if v, err := model.ParseDuration(raw); err == nil && time.Duration(v) == d {
			return raw
		}
	}
	return DurationText(d)
}

// DurationText writes a duration the way the documentation does: whole
// days as days ("7d", "30d", "365d"), anything else as Prometheus does
// ("30s", "1h30m").
func DurationText(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return model.Duration(d).String()
}
