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

func TestExplain(t *testing.T) {
	app := kingpin.New("x", "").Terminate(func(int) {})
	app.Flag("config.file", "").String()
	serve := app.Command("serve", "").Default()
	serve.Flag("web.listen-address", "").String()
	serve.Flag("config.check", "").Bool()
	app.Command("check", "").Flag("output", "").String()
	app.Command("webhook", "").Flag("web.listen-address", "").String()
	app.Command("renew", "").Flag("only", "").String()
	for args, want := range map[string]string{
		"--config":                   "unknown long flag '--config'; did you mean --config.file?",
		"check --outptu=json":        "unknown long flag '--outptu'; did you mean --output?",
		"check --web.listen-address": "unknown long flag '--web.listen-address'; it is a flag of serve and webhook",
		"check --only":               "unknown long flag '--only'; it is a flag of renew",
		"--colour":                   "unknown long flag '--colour'",
		"check --output":             "expected argument for flag '--output'",
	} {
		argv := strings.Fields(args)
		_, err := app.Parse(argv)
		if err == nil {
			t.Fatalf("%s: no error", args)
		}
		if got := Explain(app, argv, err); got != want {
			t.Errorf("%s: %q, want %q", args, got, want)
		}
	}
}
