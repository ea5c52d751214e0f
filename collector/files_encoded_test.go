package collector

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/magflow/pgtls_exporter/internal/certs"
	"github.com/magflow/pgtls_exporter/internal/config"
	"github.com/magflow/pgtls_exporter/internal/exposition"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// samples parses a text exposition into "family: sample" lines, sorted.
func samples(t *testing.T, text []byte) []string {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, text)
	}
	var out []string
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out = append(out, fmt.Sprintf("%s %s {%s} %v", name, mf.GetHelp(), strings.Join(labels, ","), m.GetGauge().GetValue()))
		}
	}
	slices.Sort(out)
	return out
}

// encodedText runs one update of an encoded file source and returns what
// it writes.
func encodedText(t *testing.T, f *Files) []byte {
	t.Helper()
	if err := f.Update(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := exposition.NewWriter(&out, false)
	f.WriteEncoded(w, nil)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestEncodedEqualsCollected: the encoded exposition of the file source
// holds exactly the series its Collect sends, for a set with every kind
// of fault, and a label value that needs escaping.
func TestEncodedEqualsCollected(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.CA(t, `Quote " and \ CA`)
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	testcerts.WriteEntry(t, dir, "good", ca, testcerts.Options{DNSNames: []string{"db"}}, 0o600)
	testcerts.WriteEntry(t, dir, "loose", ca, testcerts.Options{DNSNames: []string{"x"}, NotAfter: time.Now().Add(48 * time.Hour)}, 0o644)
	gone := testcerts.WriteEntry(t, dir, "gone", ca, testcerts.Options{}, 0o600)
	if err := os.Remove(gone.Cert); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(`ca: {cert: ca.crt}
certificates:
  - {name: good, cert: good.crt, key: good.key, combined: good-combined.pem, expected_names: [db]}
  - {name: loose, cert: loose.crt, key: loose.key, expected_names: [db]}
  - {name: gone, cert: gone.crt, key: gone.key}
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(quiet, NewFiles(inspect.New(cfg, 1), rules.PolicyOf(cfg), quiet)))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var collected bytes.Buffer
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "pgtls_scrape_") {
			if _, err := expfmt.MetricFamilyToText(&collected, mf); err != nil {
				t.Fatal(err)
			}
		}
	}
	encoded := encodedText(t, NewFiles(inspect.New(cfg, 1), rules.PolicyOf(cfg), quiet).Encoded())
	want, got := samples(t, collected.Bytes()), samples(t, encoded)
	if !slices.Equal(got, want) {
		t.Fatalf("encoded:\n%s\ncollected:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(want) < 30 {
		t.Fatalf("only %d series", len(want))
	}
}

// TestEncodedBlocksFollowChanges: with 600 entries (three blocks), a
// changed file rebuilds its own block and keeps the others as they were;
// nothing changed rebuilds nothing.
func TestEncodedBlocksFollowChanges(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.CA(t, "Blocks CA")
	testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	leaf := testcerts.Issue(t, ca, testcerts.Options{DNSNames: []string{"db"}})
	var yml strings.Builder
	yml.WriteString("ca: {cert: ca.crt}\ncertificates:\n")
	for i := range 600 {
		testcerts.WriteFile(t, filepath.Join(dir, fmt.Sprintf("e%03d.crt", i)), leaf.CertPEM, 0o644)
		fmt.Fprintf(&yml, "  - {name: e%03d, cert: e%03d.crt, expected_names: [db]}\n", i, i)
	}
	cfg, err := config.Parse([]byte(yml.String()), dir)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f := NewFiles(inspect.New(cfg, 1), rules.PolicyOf(cfg), quiet).Encoded()
	first := encodedText(t, f)
	before := slices.Clone(f.enc.blocks)
	if len(before) != 3 { // the CA and 600 entries: 601 in blocks of 256
		t.Fatalf("%d blocks", len(before))
	}
	if again := encodedText(t, f); !bytes.Equal(again, first) {
		t.Fatal("an unchanged set encodes differently")
	}
	for i := range before {
		if &f.enc.blocks[i].segs[famCertInfo].Deflated[0] != &before[i].segs[famCertInfo].Deflated[0] {
			t.Fatalf("block %d rebuilt though nothing changed", i)
		}
	}
	other := testcerts.Issue(t, ca, testcerts.Options{DNSNames: []string{"db"}})
	testcerts.WriteFile(t, filepath.Join(dir, "e300.crt"), other.CertPEM, 0o644) // entry 300: block 1
	changed := encodedText(t, f)
	for i := range before {
		same := &f.enc.blocks[i].segs[famCertInfo].Deflated[0] == &before[i].segs[famCertInfo].Deflated[0]
		if same != (i != 1) {
			t.Fatalf("block %d kept %v after entry 300 changed", i, same)
		}
	}
	if bytes.Equal(changed, first) || !bytes.Contains(changed, []byte(certs.Serial(other.Cert))) {
		t.Fatal("the changed entry's new serial is not exported")
	}
}
