package exposition

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// TestSegmentsMakeOneGzipMember: segments and text, gzipped, read back
// with the standard library as one member (no multistream needed) to
// exactly the text written, and plain output is the text itself.
func TestSegmentsMakeOneGzipMember(t *testing.T) {
	var c Compressor
	a, err := c.Segment([]byte(strings.Repeat("pgtls_cert_info{name=\"a\"} 1\n", 500)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Segment([]byte(strings.Repeat("pgtls_cert_info{name=\"b\"} 1\n", 300)))
	if err != nil {
		t.Fatal(err)
	}
	empty, err := c.Segment(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "# HELP x y\n" + string(a.Raw) + string(empty.Raw) + "z 1\n" + string(b.Raw) + "tail 2\n"
	for _, gz := range []bool{true, false} {
		var out bytes.Buffer
		w := NewWriter(&out, gz)
		w.WriteText([]byte("# HELP x y\n"))
		w.WriteSegment(a)
		w.WriteSegment(empty)
		w.WriteText([]byte("z 1\n"))
		w.WriteSegment(b)
		w.WriteText([]byte("tail 2\n"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got := out.Bytes()
		if gz {
			zr, err := gzip.NewReader(&out)
			if err != nil {
				t.Fatal(err)
			}
			zr.Multistream(false)
			if got, err = io.ReadAll(zr); err != nil {
				t.Fatalf("gunzip: %v", err)
			}
			if _, err := zr.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("more than one gzip member: %v", err)
			}
		}
		if string(got) != want {
			t.Fatalf("gzip=%v: got %d bytes, want %d", gz, len(got), len(want))
		}
	}
}

// TestEmptyGzip: nothing but Close is a valid empty gzip member.
func TestEmptyGzip(t *testing.T) {
	var out bytes.Buffer
	if err := NewWriter(&out, true).Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := io.ReadAll(zr); err != nil || len(data) != 0 {
		t.Fatalf("%q %v", data, err)
	}
}
