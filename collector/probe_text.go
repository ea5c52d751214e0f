package collector

import (
	"io"
	"time"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/targets"
)

// probeFamilies are the families of one probe, in the order WriteProbe
// writes them.
func probeFamilies() []family {
	return []family{probeSuccess, probeFailure, problemFamily, probeDuration, probeVersion, probeCipher,
		probeNotAfter, probeCertInfo, probeVerify, probeCNMatch, probeMatchesFile}
}

// WriteProbe writes the series of one probe (ProbeMetrics) as a text
// exposition, each family with its HELP and TYPE once: what /probe
// answers, without a registry to gather into.
func WriteProbe(w io.Writer, target string, r *targets.Report, th rules.Thresholds, now time.Time) error {
	ms := ProbeMetrics(target, r, th, now)
	var out []byte
	for _, fam := range probeFamilies() {
		start := len(out)
		for _, m := range ms {
			if m.Desc() != fam.desc {
				continue
			}
			if len(out) == start {
				out = append(out, fam.header...)
			}
			var err error
			if out, err = appendSample(out, fam.name, m); err != nil {
				return err
			}
		}
	}
	_, err := w.Write(out)
	return err
}
