package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/targets"
)

// Perf is one Nagios performance value: days left before a certificate
// expires, with the thresholds below which it is a warning or critical.
type Perf struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
	Warn  float64 `json:"warn"`
	Crit  float64 `json:"crit"`
}

// String is Nagios perfdata, label=value;warn;crit. The ranges "30:" and
// "7:" mean "alert below 30 and below 7", as the plugin guidelines define.
func (p Perf) String() string {
	return fmt.Sprintf("%s=%s;%s:;%s:", p.Label, num(p.Value), num(p.Warn), num(p.Crit))
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// perfLabelUnsafe matches what may not stand in a perfdata label.
var perfLabelUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// ExpiryPerf is the days left of the CA, of every entry's leaf and of
// every served leaf, with their thresholds.
func ExpiryPerf(r *inspect.Report, probes []*targets.Report, th Policy, now time.Time) []Perf {
	var out []Perf
	add := func(label string, notAfter time.Time, warn, crit time.Duration) {
		out = append(out, daysLeft(perfLabelUnsafe.ReplaceAllString(label, "_")+"_days_left", notAfter, warn, crit, now))
	}
	for _, e := range r.All() {
		cf := e.CertFile()
		if cf == nil || cf.Err != nil || len(cf.Certificates) == 0 {
			continue
		}
		warn, crit := th.WarnBefore, th.CritBefore
		if cf.Role == inspect.RoleCA {
			warn, crit = th.CAWarnBefore, th.CACritBefore
		}
		add(e.Name, cf.Certificates[0].NotAfter, warn, crit)
	}
	for _, p := range probes {
		if p.Served != nil {
			add("target_"+p.Target.Name, p.Served.NotAfter, th.WarnBefore, th.CritBefore)
		}
	}
	return out
}

// daysLeft is the days left until notAfter, with the thresholds in days,
// each to a tenth of a day (rounded down).
func daysLeft(label string, notAfter time.Time, warn, crit time.Duration, now time.Time) Perf {
	days := func(d time.Duration) float64 { return float64(int64(d.Hours()/24*10)) / 10 }
	return Perf{Label: label, Value: days(notAfter.Sub(now)), Warn: days(warn), Crit: days(crit)}
}
