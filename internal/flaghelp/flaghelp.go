// Package flaghelp renders kingpin's flag help so that a boolean flag whose
// name is already a negation (--no-reload) is shown as it is typed, not as
// kingpin's negatable --[no-]no-reload.
package flaghelp

import (
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/alecthomas/kingpin/v2"
)

// negationPrefix starts the name of a flag that is itself a negation.
const negationPrefix = "no-"

// Funcs returns the usage template functions to pass to
// kingpin.Application.UsageFuncs; they replace kingpin's own flag rows.
func Funcs() template.FuncMap {
	return template.FuncMap{"FlagsToTwoColumns": Rows}
}

// Rows lists the visible flags as (flag, help) rows, as kingpin does,
// except that a boolean flag named no-X is shown as --no-X.
func Rows(flags []*kingpin.FlagModel) [][2]string {
	haveShort := slices.ContainsFunc(flags, func(f *kingpin.FlagModel) bool { return f.Short != 0 })
	rows := [][2]string{}
	for _, f := range flags {
		if !f.Hidden {
			rows = append(rows, [2]string{Format(haveShort, f), f.HelpWithEnvar()})
		}
	}
	return rows
}

// cumulative is a flag value that may be given more than once.
type cumulative interface{ IsCumulative() bool }

// Format renders one flag's left column: -h, --[no-]help; --only=NAME ...;
// --no-reload. haveShort indents long-only flags to line up with short ones.
func Format(haveShort bool, f *kingpin.FlagModel) string {
	name := f.Name
	if f.IsBoolFlag() && !strings.HasPrefix(name, negationPrefix) {
		name = "[no-]" + name
	}
	var s string
	switch {
	case f.Short != 0:
		s = fmt.Sprintf("-%c, --%s", f.Short, name)
	case haveShort:
		s = "    --" + name
	default:
		s = "--" + name
	}
	if !f.IsBoolFlag() {
		s += "=" + f.FormatPlaceHolder()
	}
	if v, ok := f.Value.(cumulative); ok && v.IsCumulative() {
		s += " ..."
	}
	return s
}
