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

// Compressor makes segments. It keeps one deflate state and resets it
// for each segment: a deflate state is large to allocate and cheap to
// reset. It is not safe for concurrent use.
type Compressor struct {
	zw  *flate.Writer
	buf bytes.Buffer
}

// Release drops the deflate state (about 1 MB) and the buffer until the
// next segment. Keeping them between scrapes would save little, since an
// unchanged segment is never compressed again, and would keep the live
// heap large, which makes garbage collection run more often for
// everything else the process allocates.
func (c *Compressor) Release() { *c = Compressor{} }

// reset starts a fresh deflate stream into c.buf.
func (c *Compressor) reset() error {
	c.buf.Reset()
	if c.zw == nil {
		zw, err := flate.NewWriter(&c.buf, flate.BestSpeed)
		if err != nil {
			return fmt.Errorf("exposition: %w", err)
		}
		c.zw = zw
		return nil
	}
	c.zw.Reset(&c.buf)
	return nil
}

// Segment compresses raw on its own.
func (c *Compressor) Segment(raw []byte) (Segment, error) {
	if err := c.reset(); err != nil {
		return Segment{}, err
	}
	if _, err := c.zw.Write(raw); err != nil {
		return Segment{}, fmt.Errorf("exposition segment: %w", err)
	}
	// Flush ends the stream on a byte boundary without a final block, so
	// the next segment's blocks may follow.
	if err := c.zw.Flush(); err != nil {
		return Segment{}, fmt.Errorf("exposition segment: %w", err)
	}
	return Segment{Raw: raw, Deflated: bytes.Clone(c.buf.Bytes())}, nil
}

// final compresses raw as the last, final block of a stream.
func (c *Compressor) final(raw []byte) ([]byte, error) {
	if err := c.reset(); err != nil {
		return nil, err
	}
	if _, err := c.zw.Write(raw); err != nil {
		return nil, fmt.Errorf("exposition: %w", err)
	}
	if err := c.zw.Close(); err != nil {
		return nil, fmt.Errorf("exposition: %w", err)
	}
	return c.buf.Bytes(), nil
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
	comp    Compressor   // for the text written with WriteText
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
	s, err := x.comp.Segment(bytes.Clone(x.tail.Bytes()))
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
	last, err := x.comp.final(x.tail.Bytes())
	if err != nil {
		return err
	}
	x.write(last)
	x.crc = crc32.Update(x.crc, crc32.IEEETable, x.tail.Bytes())
	x.size += uint32(x.tail.Len())
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], x.crc)
	binary.LittleEndian.PutUint32(trailer[4:], x.size)
	x.write(trailer[:])
	return x.err
}
