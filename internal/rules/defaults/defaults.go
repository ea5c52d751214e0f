// Package defaults holds the default policy values of the rules table:
// the expiry thresholds and how long a CA rotation may rest in a phase.
// The configuration names them in its messages and rules.Policy applies
// them; nothing else writes them down.
package defaults

import "time"

const day = 24 * time.Hour

// Expiry thresholds: server certificates (files and served) are
// expires_soon within WarnBefore and expires_very_soon within CritBefore;
// the CA within CAWarnBefore and CACritBefore.
const (
	WarnBefore   = 30 * day
	CritBefore   = 7 * day
	CAWarnBefore = 90 * day
	CACritBefore = 30 * day
)

// MaxPhaseAge is how long a CA rotation may stay prepared or switched
// before it is ca_rotation_stalled.
const MaxPhaseAge = 7 * day

// Lifetimes of what renew issues: a server certificate (renew.validity)
// and a CA that --init creates (renew.ca.validity).
const (
	ServerValidity = 365 * day
	CAValidity     = 3650 * day
)

// The TLS scan: how often every target is scanned, and how many hellos a
// scan sends one server per second at most.
const (
	ScanInterval            = time.Hour
	ScanHandshakesPerSecond = 20
)

// The webhook: the least time between two actions on one entry, and how
// many actions it takes in any hour at most (the default, and the most a
// configuration may allow: every action reloads servers).
const (
	WebhookMinInterval       = time.Hour
	WebhookMaxPerHour        = 6
	WebhookMaxPerHourCeiling = 60
)
