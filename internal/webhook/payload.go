package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxBody bounds a notification's size; Alertmanager's are far smaller.
const MaxBody = 1 << 20

// payloadVersion is the version of Alertmanager's webhook payload this
// receiver reads.
const payloadVersion = "4"

// Alert statuses in a notification.
const (
	statusFiring   = "firing"
	statusResolved = "resolved"
)

// Payload is Alertmanager's webhook notification (version 4): one group
// of alerts.
type Payload struct {
	Version  string  `json:"version"`
	GroupKey string  `json:"groupKey"`
	Status   string  `json:"status"`
	Receiver string  `json:"receiver"`
	Alerts   []Alert `json:"alerts"`
}

// Alert is one alert of a notification.
type Alert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Fingerprint string            `json:"fingerprint"`
}

// errPayload marks a notification that is not one this receiver reads.
var errPayload = errors.New("not an Alertmanager webhook notification")

// decodePayload reads one notification. A body that is not JSON, holds
// more than one value, or is not a version 4 notification with alerts
// that are firing or resolved is refused with errPayload; a body over the
// size limit gives the *http.MaxBytesError.
func decodePayload(r io.Reader) (*Payload, error) {
	dec := json.NewDecoder(r)
	var p Payload
	if err := dec.Decode(&p); err != nil {
		return nil, payloadError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("more than one JSON value")
		}
		return nil, payloadError(err)
	}
	if p.Version != payloadVersion {
		return nil, fmt.Errorf("%w: version %q, want %q", errPayload, p.Version, payloadVersion)
	}
	for i, a := range p.Alerts {
		if a.Status != statusFiring && a.Status != statusResolved {
			return nil, fmt.Errorf("%w: alerts[%d].status %q is neither %s nor %s", errPayload, i, a.Status, statusFiring, statusResolved)
		}
	}
	return &p, nil
}

// payloadError is err as decodePayload returns it: a body over the size
// limit as it is, anything else as errPayload.
func payloadError(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return err
	}
	return fmt.Errorf("%w: %w", errPayload, err)
}
