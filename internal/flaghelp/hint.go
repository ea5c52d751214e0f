package flaghelp

import (
	"regexp"
	"slices"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/magflow/pgtls_exporter/internal/suggest"
)

// unknownLongFlag matches kingpin's error for a long flag it does not know.
var unknownLongFlag = regexp.MustCompile(`^unknown long flag '--([^'=]+)'$`)

// Explain returns the text of err, an error of app.Parse(args), with a
// hint when it is an unknown long flag: the command the flag belongs to
// ("it is a flag of serve and webhook"), or else the flag of the command line's
// command (or of the application) it most likely meant ("did you mean
// --config.file?").
func Explain(app *kingpin.Application, args []string, err error) string {
	msg := err.Error()
	m := unknownLongFlag.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	typed := m[1]
	known := names(app.Model().Flags)
	// The context of a failed parse holds the command selected so far
	// (the default command when none was named).
	if ctx, _ := app.ParseContext(args); ctx != nil && ctx.SelectedCommand != nil {
		known = append(known, names(ctx.SelectedCommand.Model().Flags)...)
	}
	var owners []string
	for _, c := range app.Model().Commands {
		if slices.Contains(names(c.Flags), typed) {
			owners = append(owners, c.FullCommand)
		}
	}
	if len(owners) > 0 {
		return msg + "; it is a flag of " + joinAnd(owners)
	}
	if s := suggest.Closest(typed, known); s != "" {
		return msg + "; did you mean --" + s + "?"
	}
	return msg
}

// joinAnd joins words as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// names lists the names of the visible flags.
func names(flags []*kingpin.FlagModel) []string {
	var out []string
	for _, f := range flags {
		if !f.Hidden {
			out = append(out, f.Name)
		}
	}
	return out
}
