package collector

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/magflow/pgtls_exporter/internal/exposition"
	"github.com/magflow/pgtls_exporter/internal/inspect"
	"github.com/magflow/pgtls_exporter/internal/rules"
)

// blockSize is how many entries share one segment per family: a changed
// entry costs the encoding of its own series and the compression of its
// block's segments, nothing more.
const blockSize = 256

// encodedFiles is the file source's exposition kept encoded: each entry's
// series as text, and blocks of entries with one compressed segment per
// family, rebuilt only when one of their entries changed.
type encodedFiles struct {
	texts  map[*inspect.EntryReport]*entryText
	blocks []fileBlock
	comp   exposition.Compressor
	// scratch is where encodeEntry writes an entry's lines.
	scratch []byte
}

// entryText is one entry's series as exposition text, per family; its
// problems hold until the next threshold crossing (zero: for good).
type entryText struct {
	fam   [numFileFamilies][]byte
	until time.Time
}

// fileBlock is a run of entries and their series, per family.
type fileBlock struct {
	texts []*entryText
	segs  [numFileFamilies]exposition.Segment
}

// Encoded switches the source to keeping its exposition encoded: Update
// then refreshes the encoded series and sends none, and WriteEncoded
// writes them. The server's /metrics uses it; Collect users do not.
func (f *Files) Encoded() *Files {
	f.enc = &encodedFiles{texts: map[*inspect.EntryReport]*entryText{}}
	return f
}

// updateEncoded refreshes the encoded series for the scrape.
func (f *Files) updateEncoded(ctx context.Context) error {
	report, now := inspectOnce(ctx, f.inspector)
	caUsable := report.Authority != nil
	f.mu.Lock()
	defer f.mu.Unlock()
	all := report.All()
	texts := make(map[*inspect.EntryReport]*entryText, len(all))
	current := make([]*entryText, len(all))
	for i, e := range all {
		t, ok := f.enc.texts[e]
		if !ok {
			f.logProblems(e)
		}
		if !ok || (!t.until.IsZero() && !now.Before(t.until)) {
			t = f.encodeEntry(e, now, caUsable)
		}
		texts[e], current[i] = t, t
	}
	defer f.enc.comp.Release()
	blocks := make([]fileBlock, 0, (len(all)+blockSize-1)/blockSize)
	for start := 0; start < len(current); start += blockSize {
		run := current[start:min(start+blockSize, len(current))]
		if b := len(blocks); b < len(f.enc.blocks) && slices.Equal(f.enc.blocks[b].texts, run) {
			blocks = append(blocks, f.enc.blocks[b])
			continue
		}
		block, err := newFileBlock(&f.enc.comp, run)
		if err != nil {
			return err
		}
		blocks = append(blocks, block)
	}
	f.enc.texts, f.enc.blocks = texts, blocks
	return nil
}

// encodeEntry encodes an entry's facts and problems as text, each
// family's lines in a slice of just their size: every entry keeps its text
// for as long as its files are unchanged.
func (f *Files) encodeEntry(e *inspect.EntryReport, now time.Time, caUsable bool) *entryText {
	th := f.policy
	t := &entryText{until: rules.NextChange(e, now, th)}
	samples := append(entrySamples(e), problemSamples(rules.EntryFindings(e, now, th, caUsable))...)
	for _, s := range samples {
		if !slices.ContainsFunc(fileFamilies[:], func(fm family) bool { return fm.desc == s.fam.desc }) {
			f.logger.Warn("series not exported", "name", e.Name, "err", fmt.Errorf("%s is not a family of the file source", s.fam.name))
		}
	}
	buf := f.enc.scratch[:0]
	for fam := range numFileFamilies {
		buf = buf[:0]
		for _, s := range samples {
			if s.fam.desc != fileFamilies[fam].desc {
				continue
			}
			var err error
			if buf, err = s.appendText(buf); err != nil {
				f.logger.Warn("series not exported", "name", e.Name, "err", err)
			}
		}
		if len(buf) > 0 {
			t.fam[fam] = bytes.Clone(buf)
		}
	}
	f.enc.scratch = buf[:0]
	return t
}

func newFileBlock(comp *exposition.Compressor, texts []*entryText) (fileBlock, error) {
	b := fileBlock{texts: slices.Clone(texts)}
	for fam := range numFileFamilies {
		var raw []byte
		for _, t := range texts {
			raw = append(raw, t.fam[fam]...)
		}
		seg, err := comp.Segment(raw)
		if err != nil {
			return b, err
		}
		b.segs[fam] = seg
	}
	return b, nil
}

// WriteEncoded writes the file source's families to w, each with its
// HELP and TYPE once, then the samples of every block. moreProblems are
// pgtls_problem samples of other sources (text, without HELP and TYPE):
// they are written within the one pgtls_problem family.
func (f *Files) WriteEncoded(w *exposition.Writer, moreProblems []byte) {
	f.mu.Lock()
	blocks := f.enc.blocks
	f.mu.Unlock()
	for fam := range numFileFamilies {
		has := fam == famProblem && len(moreProblems) > 0
		for _, b := range blocks {
			has = has || len(b.segs[fam].Raw) > 0
		}
		if !has {
			continue
		}
		w.WriteText(fileFamilies[fam].header)
		for _, b := range blocks {
			if len(b.segs[fam].Raw) > 0 {
				w.WriteSegment(b.segs[fam])
			}
		}
		if fam == famProblem {
			w.WriteText(moreProblems)
		}
	}
}

// ProblemFamily is the name of the family WriteEncoded merges other
// sources' samples into.
func ProblemFamily() string { return problemFamily.name }

// appendEscaped escapes a label value: backslash, double quote, newline.
func appendEscaped(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat writes a value as the text encoder of prometheus/common does.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case v == 1:
		return append(b, '1')
	case v == 0:
		return append(b, '0')
	case v == -1:
		return append(b, "-1"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, +1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
