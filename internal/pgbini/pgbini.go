// Package pgbini parses pgbouncer.ini the way PgBouncer's configuration
// loader reads it (lib/usual/cfparser.c): sections in brackets, key = value
// lines, whole-line comments starting with "#" or ";", quoted keys, and
// %include. It keeps the settings of the [pgbouncer] section with the file
// and line that set them; like PgBouncer it stops at the first error.
//
// The package does no IO of its own: files are read through a ReadFunc,
// so that it is pure and can be fuzzed.
package pgbini

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadFunc returns the content of the file at an absolute path.
type ReadFunc func(path string) ([]byte, error)

// MaxInclude is how deeply %include may nest (MAX_INCLUDE).
const MaxInclude = 10

// MaxInput bounds the bytes read through every %include of one Parse.
const MaxInput = 16 << 20

// Setting is one key of the [pgbouncer] section and where it was set.
type Setting struct {
	Value string
	File  string
	Line  int
}

// Where is the setting's location: "FILE:LINE".
func (s Setting) Where() string { return s.File + ":" + strconv.Itoa(s.Line) }

// Error is a file PgBouncer would refuse to load, with the place it stops.
type Error struct {
	File string
	// Line is 0 when the error concerns the whole file.
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// sections are the sections PgBouncer knows.
var sections = []string{"pgbouncer", "databases", "users", "peers"}

// parser holds the state across included files.
type parser struct {
	read     ReadFunc
	budget   int
	section  string
	sawMain  bool
	settings map[string]Setting
}

// Parse reads the pgbouncer.ini at path (absolute) and the files it
// %includes, and returns the [pgbouncer] settings by key. A file PgBouncer
// would refuse to load gives an *Error naming the file and line.
func Parse(read ReadFunc, path string) (map[string]Setting, error) {
	p := &parser{read: read, budget: MaxInput, settings: map[string]Setting{}}
	if err := p.file(path, 0); err != nil {
		return nil, err
	}
	if !p.sawMain {
		return nil, &Error{File: path, Msg: "main section [pgbouncer] missing from config file"}
	}
	return p.settings, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-*", c) >= 0
}

// src is one file being parsed.
type src struct {
	path string
	buf  string
	// at and line remember the last line number asked for, so that
	// counting lines stays linear.
	at, line int
}

// fail is an *Error at byte offset i of the file.
func (f *src) fail(i int, format string, args ...any) error {
	return &Error{File: f.path, Line: f.lineAt(i), Msg: fmt.Sprintf(format, args...)}
}

func (f *src) lineAt(i int) int {
	if i < f.at {
		f.at, f.line = 0, 1
	}
	f.line += strings.Count(f.buf[f.at:i], "\n")
	f.at = i
	return f.line
}

// rest is the text from i to the end of its line, and where that is.
func (f *src) rest(i int) (string, int) {
	end := len(f.buf)
	if n := strings.IndexByte(f.buf[i:], '\n'); n >= 0 {
		end = i + n
	}
	return strings.TrimRightFunc(f.buf[i:end], func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }), end
}

// file parses one file; level is its %include depth.
func (p *parser) file(path string, level int) error {
	data, err := p.read(path)
	if err != nil {
		return &Error{File: path, Msg: fmt.Sprintf("could not load file: %v", err)}
	}
	if p.budget -= len(data) + 1; p.budget < 0 {
		return &Error{File: path, Msg: "pgbouncer.ini and the files it includes exceed 16 MiB"}
	}
	f := &src{path: path, buf: string(data), line: 1}
	if n := strings.IndexByte(f.buf, 0); n >= 0 { // C strings end at NUL
		f.buf = f.buf[:n]
	}
	buf := f.buf
	for i := 0; i < len(buf); {
		for i < len(buf) && isSpace(buf[i]) {
			i++
		}
		switch {
		case i >= len(buf):
			return nil
		case strings.HasPrefix(buf[i:], "%include") && i+8 < len(buf) && isBlank(buf[i+8]):
			start := i
			if level >= MaxInclude {
				return f.fail(start, "include nesting level too deep")
			}
			i += 8
			for i < len(buf) && isBlank(buf[i]) {
				i++
			}
			var name string
			name, i = f.rest(i)
			if !filepath.IsAbs(name) {
				name = filepath.Join(filepath.Dir(path), name)
			}
			if err := p.file(name, level+1); err != nil {
				var inner *Error
				if errors.As(err, &inner) && inner.File == name && inner.Line == 0 {
					return f.fail(start, "error processing include file %s: %s", name, inner.Msg)
				}
				return err
			}
		case buf[i] == '#' || buf[i] == ';':
			_, i = f.rest(i)
		case buf[i] == '[':
			end := strings.IndexAny(buf[i+1:], "]\n")
			if end < 0 || buf[i+1+end] != ']' {
				return f.fail(i, "syntax error in configuration")
			}
			if msg := p.startSection(buf[i+1 : i+1+end]); msg != "" {
				return f.fail(i, "%s", msg)
			}
			i += end + 2
		default:
			if i, err = p.keyValue(f, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// keyValue parses "key = value" at i and returns where parsing goes on.
func (p *parser) keyValue(f *src, i int) (int, error) {
	buf, start := f.buf, i
	var key string
	if buf[i] == '\'' {
		end := strings.IndexByte(buf[i+1:], '\'')
		if end <= 0 {
			return 0, f.fail(start, "syntax error in configuration")
		}
		key = buf[i+1 : i+1+end]
		i += end + 2
	} else {
		for i < len(buf) && isKeyChar(buf[i]) {
			i++
		}
		key = buf[start:i]
	}
	for i < len(buf) && isBlank(buf[i]) {
		i++
	}
	if i >= len(buf) || buf[i] != '=' {
		return 0, f.fail(i, "syntax error in configuration")
	}
	i++
	for i < len(buf) && isBlank(buf[i]) {
		i++
	}
	value, end := f.rest(i)
	switch p.section {
	case "":
		return 0, f.fail(start, "value without section: %s", key)
	case "pgbouncer":
		p.settings[key] = Setting{Value: value, File: f.path, Line: f.lineAt(start)}
	}
	return end, nil
}

// startSection begins a section; PgBouncer sets the [pgbouncer] keys to
// their defaults again whenever that section starts.
func (p *parser) startSection(name string) string {
	known := false
	for _, s := range sections {
		known = known || s == name
	}
	if !known {
		return fmt.Sprintf("invalid section %q in configuration", name)
	}
	p.section = name
	if name == "pgbouncer" {
		p.sawMain = true
		p.settings = map[string]Setting{}
	}
	return ""
}
