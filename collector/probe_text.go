package collector

import (
	"io"
	"time"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/targets"
)

// probeFamilies are the families of one probe, in the order WriteProbe
// writes them.
func probeFamilies() []*family {
	return []*family{&probeSuccess, &probeFailure, &problemFamily, &probeDuration, &probeVersion, &probeCipher,
		&probeNotAfter, &probeCertInfo, &probeVerify, &probeCNMatch, &probeMatchesFile}
}

// WriteProbe writes the series of one probe (ProbeMetrics) as a text
// exposition, each family with its HELP and TYPE once: what /probe
// answers, without a registry to gather into.
func WriteProbe(w io.Writer, target string, r *targets.Report, th rules.Policy, now time.Time) error {
	samples := probeSamples(target, r, th, now)
	out := make([]byte, 0, 2048)
	for _, fam := range probeFamilies() {
		start := len(out)
		for _, s := range samples {
			if s.fam != fam {
				continue
			}
			if len(out) == start {
				out = append(out, fam.header...)
			}
			var err error
			if out, err = s.appendText(out); err != nil {
				return err
			}
		}
	}
	_, err := w.Write(out)
	return err
}
