package config

import (
	"testing"
	"time"
)

// TestDurationMessages: durations are echoed as written, defaults as the
// docs write them, and a default taken from another key names that key.
func TestDurationMessages(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"renew_before inherited from warn_before", "thresholds: {warn_before: 500d}\n",
			"renew.validity: 365d (the default) must be longer than renew.renew_before, which defaults to thresholds.warn_before (500d), or every run renews again"},
		{"both written", "renew: {renew_before: 60d, validity: 30d}\n",
			"renew.validity: 30d must be longer than renew.renew_before (60d), or every run renews again"},
		{"default validity", "renew: {renew_before: 500d}\n",
			"renew.validity: 365d (the default) must be longer than renew.renew_before (500d), or every run renews again"},
		{"defaults all the way", "renew: {validity: 7d}\n",
			"renew.validity: 7d must be longer than renew.renew_before, which defaults to thresholds.warn_before, which defaults to 30d, or every run renews again"},
		{"hours as written", "thresholds: {warn_before: 365d}\nrenew: {validity: 8760h}\n",
			"renew.validity: 8760h must be longer than renew.renew_before, which defaults to thresholds.warn_before (365d), or every run renews again"},
		{"7d not 1w", "thresholds: {warn_before: 7d, crit_before: 1w}\n",
			"thresholds.crit_before: 1w must be shorter than thresholds.warn_before (7d)"},
		{"default warn_before", "thresholds: {crit_before: 60d}\n",
			"thresholds.crit_before: 60d must be shorter than thresholds.warn_before, which defaults to 30d"},
		{"default crit_before", "thresholds: {warn_before: 5d}\n",
			"thresholds.crit_before: 7d (the default) must be shorter than thresholds.warn_before (5d)"},
		{"default CA crit", "thresholds: {ca_warn_before: 4w}\n",
			"thresholds.ca_crit_before: 30d (the default) must be shorter than thresholds.ca_warn_before (4w)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(renewBase+tc.yaml), "/x")
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestDurationText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		7 * 24 * time.Hour:   "7d",
		30 * 24 * time.Hour:  "30d",
		365 * 24 * time.Hour: "365d",
		30 * time.Second:     "30s",
		90 * time.Minute:     "1h30m",
	} {
		if got := DurationText(d); got != want {
			t.Errorf("DurationText(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestWrittenDuration: a duration is echoed as written while it still
// reads as the value in force; otherwise as the docs write it.
func TestWrittenDuration(t *testing.T) {
	cfg, err := Parse([]byte(renewBase+"renew: {validity: 8760h, verify_timeout: 1m30s}\n"), "/x")
	if err != nil {
		t.Fatal(err)
	}
	year := 365 * 24 * time.Hour
	for _, tc := range []struct {
		path string
		d    time.Duration
		want string
	}{
		{"renew.validity", cfg.Renew.ValidityDuration(), "8760h"},
		{"renew.verify_timeout", cfg.Renew.VerifyTimeoutDuration(), "1m30s"},
		{"renew.ca.validity", cfg.Renew.CA.CAValidityDuration(), "3650d"},
		{"renew.validity", 2 * year, "730d"},
	} {
		if got := cfg.WrittenDuration(tc.path, tc.d); got != tc.want {
			t.Errorf("WrittenDuration(%s, %v) = %q, want %q", tc.path, tc.d, got, tc.want)
		}
	}
}
