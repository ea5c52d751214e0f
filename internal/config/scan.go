package config

import (
	"time"

	"github.com/prometheus/common/model"

	"github.com/magflow/pgtls_exporter/internal/rules/defaults"
)

// Scan configures the TLS scan of every target: which versions and cipher
// suites the server really accepts, learnt by handshakes on a schedule.
type Scan struct {
	// Interval is the time between two scans of the targets (default
	// 1h); they are also scanned at start-up and after a reload.
	Interval model.Duration `yaml:"interval"`
	// HandshakesPerSecond bounds the hellos a scan sends one server
	// (default 20).
	HandshakesPerSecond int `yaml:"handshakes_per_second"`
}

// ScanInterval is scan.interval with its default.
func (c *Config) ScanInterval() time.Duration {
	if c.Scan.Interval > 0 {
		return time.Duration(c.Scan.Interval)
	}
	return defaults.ScanInterval
}

// ScanSpacing is the least time between two hellos to one server.
func (c *Config) ScanSpacing() time.Duration {
	n := c.Scan.HandshakesPerSecond
	if n <= 0 {
		n = defaults.ScanHandshakesPerSecond
	}
	return time.Second / time.Duration(n)
}

func (c *Config) validateScan(add func(path, format string, args ...any)) {
	if c.Scan.Interval < 0 {
		add("scan.interval", "must not be negative")
	}
	if c.Scan.HandshakesPerSecond < 0 {
		add("scan.handshakes_per_second", "must not be negative")
	}
}
