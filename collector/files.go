package collector

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/rules"
)

// family is a gauge family: its descriptor, and its name, help and label
// names for writing its samples as text without a registry.
type family struct {
	name, help string
	desc       *prometheus.Desc
	header     []byte // HELP and TYPE lines
	labels     []string
	// sorted lists the label indexes in the order of their names, the
	// order the text format writes them in.
	sorted []int
}

func newFamily(name, help string, labels ...string) family {
	escaped := strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)
	sorted := make([]int, len(labels))
	for i := range sorted {
		sorted[i] = i
	}
	slices.SortFunc(sorted, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return family{name: name, help: help, desc: prometheus.NewDesc(name, help, labels, nil),
		header: []byte("# HELP " + name + " " + escaped + "\n# TYPE " + name + " gauge\n"),
		labels: labels, sorted: sorted}
}

// The file source's families, in the order they are written encoded.
const (
	famCertInfo = iota
	famCertNotAfter
	famCertNotBefore
	famCertSANMatch
	famCertCNMatch
	famCertVerify
	famFileRead
	famKeyMode
	famKeyMatch
	famKeyPermOK
	famProblem
	numFileFamilies
)

var fileFamilies = [numFileFamilies]family{
	famCertNotAfter: newFamily(Namespace+"_cert_not_after_timestamp_seconds",
		"Expiry time of a certificate in a configured file.", "name", "path", "serial"),
	famCertNotBefore: newFamily(Namespace+"_cert_not_before_timestamp_seconds",
		"Start of validity of a certificate in a configured file.", "name", "path", "serial"),
	famCertInfo: newFamily(Namespace+"_cert_info",
		"Identity of a certificate in a configured file.",
		"name", "path", "serial", "subject", "issuer", "fingerprint_sha256", "is_ca"),
	famCertSANMatch: newFamily(Namespace+"_cert_san_match",
		"Whether the certificate covers an expected DNS name or IP address.", "name", "path", "expected"),
	famCertCNMatch: newFamily(Namespace+"_cert_common_name_match",
		"Whether no SAN but the subject common name covers an expected name (libpq accepts it, SAN-only clients such as Go's refuse it).",
		"name", "path", "expected"),
	famCertVerify: newFamily(Namespace+"_cert_verify_success",
		"Whether the certificate chains to the configured CA now.", "name", "path"),
	famKeyMatch: newFamily(Namespace+"_key_matches_cert",
		"Whether a key file or combined PEM belongs to the entry's certificate.", "name", "path"),
	famKeyMode: newFamily(Namespace+"_key_file_mode",
		"Permission bits of a key-bearing file (384 = 0600).", "name", "path"),
	famKeyPermOK: newFamily(Namespace+"_key_permissions_ok",
		"Whether PostgreSQL would accept and be able to read this key file.", "name", "path"),
	famFileRead: newFamily(Namespace+"_file_read_success",
		"Whether a configured file was read and parsed.", "name", "path"),
	famProblem: problemFamily,
}

// Inspector produces file reports; *inspect.Inspector is one.
type Inspector interface {
	Inspect(now time.Time) *inspect.Report
}

// Files exports the certificate, key and CA file checks and their
// problems. Metrics of an unchanged report are reused until an expiry
// threshold is crossed, so a scrape over unchanged files builds nothing new.
type Files struct {
	inspector Inspector
	policy    rules.Policy
	logger    *slog.Logger

	mu    sync.Mutex
	cache map[*inspect.EntryReport]entryMetricSet
	enc   *encodedFiles // set by Encoded
}

// entryMetricSet is what one entry report exports: its facts, and its
// problems as judged until the next threshold crossing (zero: for good).
type entryMetricSet struct {
	facts    []prometheus.Metric
	problems []prometheus.Metric
	until    time.Time
}

// NewFiles returns the file source.
func NewFiles(inspector Inspector, policy rules.Policy, logger *slog.Logger) *Files {
	return &Files{inspector: inspector, policy: policy, logger: logger, cache: map[*inspect.EntryReport]entryMetricSet{}}
}

// Name implements Source.
func (f *Files) Name() string { return "files" }

// Update implements Source. Unreadable files are findings, not errors.
func (f *Files) Update(ctx context.Context, ch chan<- prometheus.Metric) error {
	if f.enc != nil {
		return f.updateEncoded(ctx)
	}
	report, now := inspectOnce(ctx, f.inspector)
	caUsable := report.Authority != nil
	f.mu.Lock()
	defer f.mu.Unlock()
	next := make(map[*inspect.EntryReport]entryMetricSet, len(report.Entries)+1)
	for _, e := range report.All() {
		set, ok := f.cache[e]
		if !ok {
			set.facts = entryMetrics(e)
			f.logProblems(e)
		}
		if !ok || (!set.until.IsZero() && !now.Before(set.until)) {
			th := f.policy
			set.problems = problemMetrics(rules.EntryFindings(e, now, th, caUsable))
			set.until = rules.NextChange(e, now, th)
		}
		next[e] = set
		for _, m := range set.facts {
			ch <- m
		}
		for _, m := range set.problems {
			ch <- m
		}
	}
	f.cache = next
	return nil
}

// logProblems logs file failures once per new report (a changed file), not
// on every scrape.
func (f *Files) logProblems(e *inspect.EntryReport) {
	for _, fr := range e.Files {
		if fr.Err != nil {
			f.logger.Warn("cannot use file", "name", e.Name, "role", fr.Role, "path", fr.Path, "err", fr.Err)
		}
	}
}

// entryMetrics are entrySamples as constant gauges.
func entryMetrics(e *inspect.EntryReport) []prometheus.Metric { return metrics(entrySamples(e)) }

// entrySamples lists the series of an entry's facts.
func entrySamples(e *inspect.EntryReport) []sample {
	var out []sample
	add := func(fam int, v float64, labels ...string) {
		out = append(out, sample{&fileFamilies[fam], v, labels})
	}
	for _, fr := range e.Files {
		add(famFileRead, boolValue(fr.Err == nil), e.Name, fr.Path)
		seen := map[string]bool{}
		for _, c := range fr.Certificates {
			if seen[c.Serial] {
				continue
			}
			seen[c.Serial] = true
			add(famCertNotAfter, float64(c.NotAfter.Unix()), e.Name, fr.Path, c.Serial)
			add(famCertNotBefore, float64(c.NotBefore.Unix()), e.Name, fr.Path, c.Serial)
			add(famCertInfo, 1, e.Name, fr.Path, c.Serial, c.Subject, c.Issuer, c.Fingerprint, strconv.FormatBool(c.IsCA))
		}
	}
	if cf := e.CertFile(); cf != nil {
		for _, n := range e.Names {
			add(famCertSANMatch, boolValue(n.Covered()), e.Name, cf.Path, n.Name)
			add(famCertCNMatch, boolValue(n.CommonNameOnly()), e.Name, cf.Path, n.Name)
		}
		if e.Verify != nil {
			add(famCertVerify, boolValue(e.Verify.OK()), e.Name, cf.Path)
		}
	}
	for _, km := range e.KeyMatches {
		add(famKeyMatch, boolValue(km.OK), e.Name, km.Path)
	}
	for _, kp := range e.KeyPermissions {
		add(famKeyMode, float64(kp.Mode.Perm()), e.Name, kp.Path)
		add(famKeyPermOK, boolValue(kp.OK()), e.Name, kp.Path)
	}
	return out
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
