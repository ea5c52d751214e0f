package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlLineError splits yaml.v3's "yaml: line N: problem".
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// SyntaxError is a YAML syntax error, at the line the user must fix.
type SyntaxError struct {
	// Line is the line (from 1) where the text stops being valid YAML.
	Line int
	// Problem is what the YAML parser found there.
	Problem string
	err     error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Problem) }

// Unwrap returns the YAML parser's own error.
func (e *SyntaxError) Unwrap() error { return e.err }

// syntaxError turns a YAML parser error on data into a *SyntaxError at the
// line to fix. yaml.v3 often names another line: for a bad key or list
// entry, where the enclosing mapping or list starts (counted from 0); for
// a tab, the line before it. The line to fix is the first at which a
// prefix of data fails with the same problem. Problems about something
// left open (a quote, a bracket) keep the line where it was opened, which
// is what yaml.v3 reports for them.
func syntaxError(data []byte, err error) error {
	m := yamlLineError.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	reported, convErr := strconv.Atoi(m[1])
	if convErr != nil {
		return err
	}
	problem := m[2]
	line := reported
	if !strings.Contains(problem, "end of stream") && !strings.HasPrefix(problem, "did not find expected ','") {
		line = firstFailingLine(data, reported, problem)
	}
	if strings.Contains(problem, "tab character") {
		problem += "; indent with spaces"
	}
	return &SyntaxError{Line: line, Problem: problem, err: err}
}

// firstFailingLine is the smallest n, from reported on, for which the
// first n lines of data fail to parse with problem; reported when none
// does. It bisects, so a 4 MiB file costs a few dozen parses.
func firstFailingLine(data []byte, reported int, problem string) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	lo, hi := max(reported, 1), len(lines)
	if lo > hi || !prefixFails(lines[:hi], problem) {
		return reported
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if prefixFails(lines[:mid], problem) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// prefixFails reports whether the first document of lines fails to parse
// with problem.
func prefixFails(lines [][]byte, problem string) bool {
	var doc yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(bytes.Join(lines, nil))).Decode(&doc)
	if err == nil || errors.Is(err, io.EOF) {
		return false
	}
	m := yamlLineError.FindStringSubmatch(err.Error())
	return m != nil && m[2] == problem
}
