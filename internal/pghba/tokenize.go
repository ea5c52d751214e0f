// Package pghba parses pg_hba.conf the way PostgreSQL 16 and later read it
// (src/backend/libpq/hba.c): backslash continuations, double quotes, "#"
// comments, comma lists, @file inclusions, and the include,
// include_if_exists and include_dir records. A line PostgreSQL would
// refuse becomes a Rule with Error set, as pg_hba_file_rules shows it.
//
// The package does no IO of its own: files are read through an FS, so
// that it is pure and can be fuzzed.
package pghba

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// FS reads the files a pg_hba.conf names. Paths are absolute.
type FS interface {
	// ReadFile returns a file's content; a missing file's error wraps
	// fs.ErrNotExist.
	ReadFile(path string) ([]byte, error)
	// ReadDir lists the regular files of a folder by name.
	ReadDir(path string) ([]string, error)
}

// MaxDepth is how deeply files may include files (CONF_FILE_MAX_DEPTH).
const MaxDepth = 10

// MaxInput bounds the bytes read through every inclusion of one Parse:
// @files repeated on many lines would otherwise read a file again and
// again.
const MaxInput = 16 << 20

// ErrTooLarge is returned when the files add up to more than MaxInput.
var ErrTooLarge = errors.New("pg_hba.conf and the files it includes exceed 16 MiB")

// token is one lexed token and whether it began with a quote.
type token struct {
	text   string
	quoted bool
}

// line is one tokenized record: its fields, each a list of tokens.
type line struct {
	file   string
	num    int
	raw    string
	fields [][]token
	err    string
}

// tokenizer reads files through fsys within a budget.
type tokenizer struct {
	fsys   FS
	budget int
	// err ends the whole parse: the input exceeds MaxInput.
	err error
}

// read reads a file, counting it against the budget.
func (t *tokenizer) read(path string, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("could not open file %q: maximum nesting depth exceeded", path)
	}
	data, err := t.fsys.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t.budget -= len(data) + 1
	if t.budget < 0 {
		t.err = ErrTooLarge
		return nil, ErrTooLarge
	}
	return data, nil
}

// openError is PostgreSQL's message for a file it could not open.
func openError(path string, err error) string {
	switch {
	case errors.Is(err, ErrTooLarge):
		return err.Error()
	case strings.Contains(err.Error(), "maximum nesting depth exceeded"):
		return err.Error()
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("could not open file %q: No such file or directory", path)
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err // the path is in the message already
	}
	return fmt.Sprintf("could not open file %q: %v", path, err)
}

// tokenizeFile appends the records of data (the file at path) to out.
// Lines are joined as tokenize_auth_file joins them: a trailing backslash
// continues a record on the next line, unless that adds nothing; a NUL
// ends the text, as in C.
func (t *tokenizer) tokenizeFile(path string, data []byte, depth int, out []line) []line {
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	num := 1
	for i := 0; i < len(lines) && t.err == nil; {
		var buf []byte
		last, continuations := 0, 0
		for i < len(lines) {
			next := lines[i]
			i++
			if n := strings.IndexByte(next, 0); n >= 0 {
				next = next[:n]
			}
			buf = bytes.TrimRight(append(buf, next...), "\r\n")
			if len(buf) > last && buf[len(buf)-1] == '\\' {
				buf = buf[:len(buf)-1]
				last = len(buf)
				continuations++
				continue
			}
			break
		}
		out = t.record(path, num, string(buf), depth, out)
		num += continuations + 1
	}
	return out
}

// record tokenizes one logical line and appends it (or, for an include
// record, the included file's records) to out.
func (t *tokenizer) record(path string, num int, raw string, depth int, out []line) []line {
	l := line{file: path, num: num, raw: raw}
	rest := raw
	for rest != "" && l.err == "" {
		var field []token
		field, rest, l.err = t.field(path, rest, depth)
		if len(field) > 0 {
			l.fields = append(l.fields, field)
		}
	}
	if len(l.fields) == 0 && l.err == "" {
		return out
	}
	if l.err == "" && len(l.fields) == 2 {
		target := l.fields[1][0].text
		switch l.fields[0][0].text {
		case "include", "include_if_exists":
			var err string
			out, err = t.include(absolute(target, path), depth+1, l.fields[0][0].text == "include_if_exists", out)
			if err == "" {
				return out
			}
			l.err = err
		case "include_dir":
			var err string
			out, err = t.includeDir(path, target, depth, out)
			if err == "" {
				return out
			}
			l.err = err
		}
	}
	return append(out, l)
}

// include appends the records of an included file.
func (t *tokenizer) include(full string, depth int, missingOK bool, out []line) ([]line, string) {
	data, err := t.read(full, depth)
	if err != nil {
		if missingOK && errors.Is(err, fs.ErrNotExist) {
			return out, ""
		}
		return out, openError(full, err)
	}
	return t.tokenizeFile(full, data, depth, out), ""
}

// includeDir appends the records of every *.conf file of a folder, by name.
func (t *tokenizer) includeDir(outer, name string, depth int, out []line) ([]line, string) {
	dir := absolute(name, outer)
	names, err := t.fsys.ReadDir(dir)
	if err != nil {
		return out, fmt.Sprintf("could not open directory %q", dir)
	}
	slices.Sort(names)
	var errs []string
	for _, n := range names {
		if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, ".conf") {
			continue
		}
		var msg string
		if out, msg = t.include(filepath.Join(dir, n), depth+1, false, out); msg != "" {
			errs = append(errs, msg)
		}
	}
	return out, strings.Join(errs, "\n")
}

// absolute resolves name against the folder of the file that names it
// (AbsoluteConfigLocation).
func absolute(name, outer string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(filepath.Dir(outer), name)
}

// field reads one field (a comma list, with @files expanded) from s and
// returns it with the rest of the line.
func (t *tokenizer) field(path, s string, depth int) ([]token, string, string) {
	var tokens []token
	for {
		tok, rest, ok, comma := nextToken(s)
		s = rest
		if !ok {
			return tokens, s, ""
		}
		if !tok.quoted && len(tok.text) > 1 && tok.text[0] == '@' {
			var err string
			if tokens, err = t.expand(tokens, path, tok.text[1:], depth+1); err != "" {
				return tokens, s, err
			}
		} else {
			tokens = append(tokens, tok)
		}
		if !comma {
			return tokens, s, ""
		}
	}
}

// expand appends every token of an @file to tokens.
func (t *tokenizer) expand(tokens []token, outer, name string, depth int) ([]token, string) {
	full := absolute(name, outer)
	data, err := t.read(full, depth)
	if err != nil {
		return tokens, openError(full, err)
	}
	for _, l := range t.tokenizeFile(full, data, depth, nil) {
		if l.err != "" {
			return tokens, l.err
		}
		for _, f := range l.fields {
			tokens = append(tokens, f...)
		}
	}
	return tokens, ""
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

// nextToken lexes one token as PostgreSQL's next_token does: leading blanks
// and commas are skipped, double quotes protect blanks, commas and "#"
// ("" is a literal quote), an unquoted "#" ends the line. ok is false when
// the line holds no more tokens; comma tells whether a comma ended it.
func nextToken(s string) (tok token, rest string, ok, comma bool) {
	i := 0
	for i < len(s) && (isBlank(s[i]) || s[i] == ',') {
		i++
	}
	var b strings.Builder
	inQuote, wasQuote, sawQuote := false, false, false
	for ; i < len(s) && (!isBlank(s[i]) || inQuote); i++ {
		c := s[i]
		if c == '#' && !inQuote {
			i = len(s)
			break
		}
		if c == ',' && !inQuote {
			comma = true
			break
		}
		if c != '"' || wasQuote {
			b.WriteByte(c)
		}
		if inQuote && c == '"' {
			wasQuote = !wasQuote
		} else {
			wasQuote = false
		}
		if c == '"' {
			inQuote = !inQuote
			sawQuote = true
			if b.Len() == 0 {
				tok.quoted = true
			}
		}
	}
	tok.text = b.String()
	return tok, s[i:], sawQuote || b.Len() > 0, comma
}
