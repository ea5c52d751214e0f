package collector

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/scans"
)

var (
	scanVersionDesc = prometheus.NewDesc(Namespace+"_scan_version_accepted",
		"Whether the last TLS scan found the target completing a hello for the protocol version (1) or refusing it (0).",
		[]string{"target", "version"}, nil)
	scanCipherDesc = prometheus.NewDesc(Namespace+"_scan_cipher_accepted",
		"A cipher suite (IANA name) the target accepted for the version in the last TLS scan (value 1).",
		[]string{"target", "version", "cipher"}, nil)
	scanGroupDesc = prometheus.NewDesc(Namespace+"_scan_group_accepted",
		"A key exchange group (IANA name) the target accepted in the last TLS scan (value 1).",
		[]string{"target", "group"}, nil)
	scanClientCertDesc = prometheus.NewDesc(Namespace+"_scan_client_cert_requested",
		"Whether the target asked for a client certificate in the last TLS scan's full handshake (1) or not (0); absent when that could not be learned.",
		[]string{"target"}, nil)
	scanSuccessDesc = prometheus.NewDesc(Namespace+"_scan_last_success_timestamp_seconds",
		"When the target's TLS scan last succeeded.", []string{"target"}, nil)
	scanDurationDesc = prometheus.NewDesc(Namespace+"_scan_duration_seconds",
		"How long the target's last successful TLS scan took.", []string{"target"}, nil)
)

// Scans exports the last TLS scan of every target; the scans run on their
// own schedule (scan.interval), never in a scrape.
type Scans struct {
	scanner *scans.Scanner
	policy  rules.Policy
	stop    context.CancelFunc
	done    sync.WaitGroup
}

// NewScans returns the source of scanner's results and starts its
// schedule; Close stops it.
func NewScans(scanner *scans.Scanner, policy rules.Policy) *Scans {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scans{scanner: scanner, policy: policy, stop: cancel}
	s.done.Go(func() { scanner.Run(ctx) })
	return s
}

// Name implements Source.
func (s *Scans) Name() string { return "scans" }

// Update implements Source: the last results, as they are.
func (s *Scans) Update(_ context.Context, ch chan<- prometheus.Metric) error {
	for _, m := range ScanMetrics(s.scanner.Last(), s.policy) {
		ch <- m
	}
	return nil
}

// Close stops the schedule and waits for a scan under way to end.
func (s *Scans) Close() error {
	s.stop()
	s.done.Wait()
	return nil
}

// ScanMetrics are the series and problems of scan reports.
func ScanMetrics(reports []scans.Report, policy rules.Policy) []prometheus.Metric {
	var ms []prometheus.Metric
	for _, r := range reports {
		name := r.Target.Name
		if res := r.Result; res != nil {
			for _, v := range res.Versions {
				ms = append(ms, gauge(scanVersionDesc, boolValue(v.Accepted), name, v.Version.Name))
				for _, suite := range v.Suites {
					ms = append(ms, gauge(scanCipherDesc, 1, name, v.Version.Name, suite.Name))
				}
			}
			for _, g := range res.Groups {
				ms = append(ms, gauge(scanGroupDesc, 1, name, g.Name))
			}
			if res.ClientCertUnknown == "" {
				ms = append(ms, gauge(scanClientCertDesc, boolValue(res.RequestsClientCert), name))
			}
			ms = append(ms, gauge(scanSuccessDesc, float64(r.LastSuccess.UnixMilli())/1e3, name),
				gauge(scanDurationDesc, res.Duration.Seconds(), name))
		}
		ms = append(ms, problemMetrics(rules.ScanFindings(r, policy))...)
	}
	return ms
}
