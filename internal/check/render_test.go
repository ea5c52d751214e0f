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

// TestWriteTextScanTable: the scans follow the findings as a table of
// their own: a row per target and accepted version, the weak suites
// named, the groups and the client certificate request after them, a
// failed scan in one row.
func TestWriteTextScanTable(t *testing.T) {
	r := rules.Result{Status: rules.Critical, Findings: []rules.Finding{
		{Entry: "pg", Check: "scan", Status: rules.Critical, Code: "old_tls_accepted", Path: "db:5432", Detail: "completed a hello for TLSv1"},
	}, Scans: []rules.ScanTarget{
		{Target: "pg", Versions: []rules.ScanVersion{{Version: "TLSv1", Suites: 12},
			{Version: "TLSv1.2", Suites: 27, Weak: []string{"TLS_RSA_WITH_3DES_EDE_CBC_SHA (3DES)", "TLS_RSA_WITH_RC4_128_SHA (RC4)"}}},
			Groups: []string{"x25519", "secp256r1"}, ClientCert: "requested"},
		{Target: "bouncer", Failed: "scan 127.0.0.1:6432: SSLRequest: EOF"},
	}}
	var out strings.Builder
	if err := WriteText(&out, r); err != nil {
		t.Fatal(err)
	}
	want := "PGTLS CRITICAL - 1 critical, 0 warning, 0 unknown, 0 ok\n" +
		"ENTRY  CHECK  STATUS    CODE              PATH     DETAIL\n" +
		"pg     scan   CRITICAL  old_tls_accepted  db:5432  completed a hello for TLSv1\n" +
		"\n" +
		"TARGET   TLS SCAN  SUITES  WEAK\n" +
		"pg       TLSv1     12      -\n" +
		"pg       TLSv1.2   27      TLS_RSA_WITH_3DES_EDE_CBC_SHA (3DES), TLS_RSA_WITH_RC4_128_SHA (RC4)\n" +
		"pg       groups    -       x25519, secp256r1; client certificate requested\n" +
		"bouncer  failed    -       scan 127.0.0.1:6432: SSLRequest: EOF\n"
	if out.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), want)
	}
}
