package check

import (
	"strings"
	"testing"

	"github.com/magflow/pgtls_exporter/internal/rules"
)

// TestWriteTextFoldsLines: a multi-line detail stays in its row, its lines
// joined with "; ", and a tab in it starts no column.
func TestWriteTextFoldsLines(t *testing.T) {
	r := rules.Result{Status: rules.Unknown, Findings: []rules.Finding{
		{Entry: "pg", Check: "file", Status: rules.Unknown, Code: "file_unreadable", Path: "pg.crt",
			Detail: "cert file unusable: first problem\n  second problem\r\n\n\tthird\tproblem\n"},
		{Entry: "pg", Check: "san", Status: rules.OK, Path: "pg.crt", Detail: "covers postgres"},
	}}
	var out strings.Builder
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	want := "PGTLS UNKNOWN - 0 critical, 0 warning, 1 unknown, 1 ok\n" +
		"ENTRY  CHECK  STATUS   CODE             PATH    DETAIL\n" +
		"pg     file   UNKNOWN  file_unreadable  pg.crt  cert file unusable: first problem; second problem; third problem\n" +
		"pg     san    OK       -                pg.crt  covers postgres\n"
	if out.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), want)
	}
}
