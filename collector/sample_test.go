package collector

import (
	"bytes"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// TestSampleTextEqualsEncoder: a sample's line is the one client_golang's
// text encoder writes for the same gauge: labels sorted by name, values
// escaped, invalid UTF-8 replaced.
func TestSampleTextEqualsEncoder(t *testing.T) {
	fam := newFamily("pgtls_test_info", "A test family.", "zeta", "alpha", "mid")
	for _, s := range []sample{
		{&fam, 1, []string{"z", "a", "m"}},
		{&fam, 0, []string{`back\slash`, `quote"d`, "new\nline"}},
		{&fam, 1.5e9, []string{"bad \xff utf8", "", "ümlaut"}},
		{&fam, -0.25, []string{"a", "b", "c"}},
	} {
		// gauge replaces invalid UTF-8 in place: write the line first.
		line, err := s.appendText(nil)
		if err != nil {
			t.Fatal(err)
		}
		got := append(append([]byte(nil), fam.header...), line...)
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(constCollector{s.metric()})
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if _, err := expfmt.MetricFamilyToText(&want, mfs[0]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("labels %q: wrote\n%s\nthe encoder writes\n%s", s.labels, got, want.Bytes())
		}
	}
}

// TestSampleTextLabelCount: a sample whose label values do not match its
// family's labels is an error, not a panic or a malformed line.
func TestSampleTextLabelCount(t *testing.T) {
	fam := newFamily("pgtls_test_info", "A test family.", "a", "b")
	for _, labels := range [][]string{{"x"}, {"x", "y", "z"}, nil} {
		if line, err := (sample{&fam, 1, labels}).appendText(nil); err == nil {
			t.Errorf("labels %q: wrote %q, want an error", labels, line)
		}
	}
}
