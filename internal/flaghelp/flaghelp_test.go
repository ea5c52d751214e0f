package flaghelp

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
)

func TestRows(t *testing.T) {
	app := kingpin.New("x", "")
	app.HelpFlag.Short('h')
	app.Flag("dry-run", "Print only.").Bool()
	app.Flag("no-reload", "Do not reload.").Bool()
	app.Flag("only", "Entry.").PlaceHolder("NAME").Strings()
	app.Flag("output", "Format.").Default("text").Enum("text", "json")
	app.Flag("secret", "").Hidden().String()
	app.Flag("verbose", "More.").Short('v').Counter()
	want := [][2]string{
		{"-h, --[no-]help", "Show context-sensitive help (also try --help-long and --help-man)."},
		{"    --[no-]dry-run", "Print only."},
		{"    --no-reload", "Do not reload."},
		{"    --only=NAME ...", "Entry."},
		{"    --output=text", "Format."},
		{"-v, --[no-]verbose ...", "More."},
	}
	if got := Rows(app.Model().Flags); !slices.Equal(got, want) {
		t.Fatalf("rows %q\nwant %q", got, want)
	}
}

func TestFuncsReplaceKingpinRows(t *testing.T) {
	var out bytes.Buffer
	app := kingpin.New("x", "").UsageWriter(&out).UsageFuncs(Funcs()).Terminate(func(int) {})
	app.Flag("no-reload", "Do not reload.").Bool()
	if _, err := app.Parse([]string{"--help"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\n  --no-reload ") || strings.Contains(out.String(), "[no-]no-reload") {
		t.Fatalf("help:\n%s", out.String())
	}
}
