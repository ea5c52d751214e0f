package collector

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// sample is one series of a gauge family: its value and its label values,
// in the order of the family's label names.
type sample struct {
	fam    *family
	value  float64
	labels []string
}

// metric returns the sample as a constant gauge for a registry.
func (s sample) metric() prometheus.Metric { return gauge(s.fam.desc, s.value, s.labels...) }

// metrics returns the samples as constant gauges.
func metrics(samples []sample) []prometheus.Metric {
	ms := make([]prometheus.Metric, len(samples))
	for i, s := range samples {
		ms[i] = s.metric()
	}
	return ms
}

// appendText appends the sample's line as client_golang's text encoder
// writes it: labels sorted by name, invalid UTF-8 replaced as gauge does.
// A label count that does not match the family's is a programming error,
// reported as an error as the registry path reports it.
func (s sample) appendText(b []byte) ([]byte, error) {
	if len(s.labels) != len(s.fam.labels) {
		return b, fmt.Errorf("%s: %d label values for labels %v", s.fam.name, len(s.labels), s.fam.labels)
	}
	b = append(b, s.fam.name...)
	if len(s.labels) > 0 {
		b = append(b, '{')
		for i, idx := range s.fam.sorted {
			if i > 0 {
				b = append(b, ',')
			}
			v := s.labels[idx]
			if !utf8.ValidString(v) {
				v = strings.ToValidUTF8(v, "\uFFFD")
			}
			b = append(b, s.fam.labels[idx]...)
			b = append(b, '=', '"')
			b = appendEscaped(b, v)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendFloat(b, s.value)
	return append(b, '\n'), nil
}
