package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// FileError is why a configured file could not be used. It names the path
// as written in the configuration and, when that differs, as resolved
// against the configuration's folder; a written "~" is called out, since
// nothing expands it.
type FileError struct {
	// Written is the path as the configuration gives it.
	Written string
	// Resolved is the path that was opened.
	Resolved string
	// Err is the failure, without a path of its own.
	Err error
}

// NewFileError wraps err, the failure to use the file configured as
// written and opened as resolved. The path of an *fs.PathError is dropped:
// the message names the paths itself.
func NewFileError(written, resolved string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return &FileError{Written: written, Resolved: resolved, Err: err}
}

func (e *FileError) Error() string {
	var b strings.Builder
	if e.Resolved != "" && e.Resolved != e.Written {
		fmt.Fprintf(&b, "%s (resolved to %s): ", e.Written, e.Resolved)
	}
	b.WriteString(e.Err.Error())
	if strings.HasPrefix(e.Written, "~") {
		b.WriteString(`; "~" is not expanded: write the full path`)
	}
	return b.String()
}

// Unwrap returns the failure, for errors.Is (fs.ErrNotExist, ...).
func (e *FileError) Unwrap() error { return e.Err }
