// Package exposition writes a Prometheus text exposition whose large,
// mostly unchanging parts are kept already encoded and compressed. A
// Segment is text compressed on its own into a deflate stream that ends on
// a byte boundary and refers to nothing before it; segments written one
// after the other, closed by a final block, make one valid gzip member,
// so an unchanged segment costs a copy, not a compression, on every scrape.
package exposition

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// Segment is a piece of exposition text and its independent deflate
// encoding (sync-flushed, not final).
type Segment struct {
	Raw      []byte
	Deflated []byte
}

// NewSegment compresses raw on its own.
func NewSegment(raw []byte) (Segment, error) {
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return Segment{}, fmt.Errorf("exposition segment: %w", err)
	}
	if _, err := zw.Write(raw); err != nil {
		return Segment{}, fmt.Errorf("exposition segment: %w", err)
	}
	// Flush ends the stream on a byte boundary without a final block, so
	// the next segment's blocks may follow.
	if err := zw.Flush(); err != nil {
		return Segment{}, fmt.Errorf("exposition segment: %w", err)
	}
	return Segment{Raw: raw, Deflated: buf.Bytes()}, nil
}

// gzipHeader is a gzip member header: deflate, no flags, no time, no
// extra fields, unknown OS.
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// Writer writes segments and text to w, gzipped or plain.
type Writer struct {
	w       io.Writer
	gzip    bool
	started bool
	crc     uint32
	size    uint32
	tail    bytes.Buffer // text written with WriteText, compressed at Close
	err     error
}

// NewWriter returns a Writer to w; with gz the output is one gzip member.
func NewWriter(w io.Writer, gz bool) *Writer { return &Writer{w: w, gzip: gz} }

func (x *Writer) write(p []byte) {
	if x.err == nil {
		_, x.err = x.w.Write(p)
	}
}

func (x *Writer) start() {
	if !x.started && x.gzip {
		x.write(gzipHeader[:])
	}
	x.started = true
}

// WriteSegment writes a segment. Text given to WriteText before it is
// written first.
func (x *Writer) WriteSegment(s Segment) {
	x.start()
	if !x.gzip {
		x.write(s.Raw)
		return
	}
	x.flushTail()
	x.write(s.Deflated)
	x.crc = crc32.Update(x.crc, crc32.IEEETable, s.Raw)
	x.size += uint32(len(s.Raw))
}

// WriteText writes text that is not kept: it is compressed with whatever
// text follows it up to the next segment or Close.
func (x *Writer) WriteText(p []byte) {
	x.start()
	if !x.gzip {
		x.write(p)
		return
	}
	x.tail.Write(p)
}

// flushTail compresses pending text as a segment of its own.
func (x *Writer) flushTail() {
	if x.tail.Len() == 0 {
		return
	}
	s, err := NewSegment(bytes.Clone(x.tail.Bytes()))
	x.tail.Reset()
	if err != nil {
		x.err = err
		return
	}
	x.WriteSegment(s)
}

// Close writes the pending text and the end of the gzip member, and
// returns the first error met.
func (x *Writer) Close() error {
	x.start()
	if !x.gzip {
		return x.err
	}
	var last bytes.Buffer
	zw, err := flate.NewWriter(&last, flate.BestSpeed)
	if err != nil {
		return fmt.Errorf("exposition: %w", err)
	}
	_, _ = zw.Write(x.tail.Bytes())
	if err := zw.Close(); err != nil { // the final block
		return fmt.Errorf("exposition: %w", err)
	}
	x.write(last.Bytes())
	x.crc = crc32.Update(x.crc, crc32.IEEETable, x.tail.Bytes())
	x.size += uint32(x.tail.Len())
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], x.crc)
	binary.LittleEndian.PutUint32(trailer[4:], x.size)
	x.write(trailer[:])
	return x.err
}
