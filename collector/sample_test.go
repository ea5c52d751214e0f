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
		got := append(append([]byte(nil), fam.header...), s.appendText(nil)...)
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
