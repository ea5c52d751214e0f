package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/magflow/pgtls_exporter/collector"
	"github.com/magflow/pgtls_exporter/internal/exposition"
)

// serveMetrics answers a scrape: every source runs within the scrape's
// deadline; the certificate files' series, kept encoded and compressed by
// the file source, are written as they are, and the rest is encoded by
// prometheus/common's text encoder. The answer is the text format,
// gzipped when the client accepts it, as Prometheus does.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.scrapeTimeout(r))
	defer cancel()
	rt := s.current()
	scrape := prometheus.NewRegistry()
	scrape.MustRegister(boundCollector{ctx: ctx, exporter: rt.exporter})
	families, err := prometheus.Gatherers{s.registry, scrape}.Gather()
	if err != nil {
		// As promhttp's ContinueOnError: serve what was gathered.
		s.logger.Error("some series could not be gathered", "err", err)
	}
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	var rest, problems bytes.Buffer
	for _, mf := range families {
		if mf.GetName() == collector.ProblemFamily() {
			var fam bytes.Buffer
			if _, err := expfmt.MetricFamilyToText(&fam, mf); err == nil {
				problems.Write(samplesOnly(fam.Bytes()))
			}
			continue
		}
		if err := expfmt.NewEncoder(&rest, format).Encode(mf); err != nil {
			s.logger.Error("series not encoded", "family", mf.GetName(), "err", err)
		}
	}
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	w.Header().Set("Content-Type", string(format))
	if gz {
		w.Header().Set("Content-Encoding", "gzip")
	}
	x := exposition.NewWriter(w, gz)
	rt.files.WriteEncoded(x, problems.Bytes())
	x.WriteText(rest.Bytes())
	if err := x.Close(); err != nil {
		s.logger.Debug("scrape answer not written", "err", err)
	}
}

// samplesOnly drops the HELP and TYPE lines of an encoded family.
func samplesOnly(text []byte) []byte {
	var out []byte
	for _, line := range bytes.SplitAfter(text, []byte("\n")) {
		if len(line) > 0 && line[0] != '#' {
			out = append(out, line...)
		}
	}
	return out
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// boundCollector runs one scrape of the exporter within a request's context.
type boundCollector struct {
	ctx      context.Context
	exporter *collector.Exporter
}

func (b boundCollector) Describe(chan<- *prometheus.Desc) {}

func (b boundCollector) Collect(ch chan<- prometheus.Metric) {
	b.exporter.CollectContext(b.ctx, ch)
}
