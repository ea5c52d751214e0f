// Package webhook is `pgtls_exporter webhook`: a receiver for
// Alertmanager's webhook notifications that closes the loop from a firing
// alert to a served certificate.
//
// For each alert of a notification it decides (decide.go): a firing alert
// whose code renew fixes, and whose subject is a configured certificate
// entry or a target serving one, is admitted (limiter.go) unless that
// entry is already queued, was acted on less than webhook.min_interval
// ago, or webhook.max_per_hour actions were taken in the last hour. An
// admitted entry is renewed in the background (worker.go) by renew's own
// Run, one run at a time, with renew's lock besides; everything else is
// logged and counted. Labels are only ever compared with configured
// names: what runs is always a configured entry.
//
// The receiver refuses to start without authentication (auth.go): basic
// auth or verified client certificates through exporter-toolkit's web
// configuration, unless it listens on loopback only and is told to.
package webhook
