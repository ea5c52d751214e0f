package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/magflow/pgtls_exporter/internal/rules"
)

// StatusLine is the Nagios plugin status line: the overall status, the
// counts, and after a "|" the performance data, e.g.
// "PGTLS CRITICAL - 1 critical, 2 warning, 0 unknown, 9 ok | postgres_days_left=4.2;30:;7:".
func StatusLine(r rules.Result) string {
	c := r.Counts()
	acked := 0
	for _, f := range r.Findings {
		if f.Acknowledged != "" {
			acked++
		}
	}
	line := fmt.Sprintf("PGTLS %s - %d critical, %d warning, %d unknown, %d ok",
		r.Status, c[rules.Critical], c[rules.Warning], c[rules.Unknown], c[rules.OK]-acked)
	if acked > 0 {
		line += fmt.Sprintf(", %d acknowledged", acked)
	}
	if len(r.Perf) == 0 {
		return line
	}
	parts := make([]string, len(r.Perf))
	for i, p := range r.Perf {
		parts[i] = p.String()
	}
	return line + " | " + strings.Join(parts, " ")
}

// WriteText renders the result as the status line followed by a table of
// every finding (the plugin's long output), one line each: the lines of a
// multi-line detail are joined with "; ". An acknowledged problem shows
// ACK as its status, its code, and the reason after its detail.
func WriteText(w io.Writer, r rules.Result) error {
	if _, err := fmt.Fprintln(w, StatusLine(r)); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tCHECK\tSTATUS\tCODE\tPATH\tDETAIL")
	for _, f := range r.Findings {
		status, detail := f.Status.String(), f.Detail
		if f.Acknowledged != "" {
			status, detail = "ACK", detail+" [acknowledged: "+f.Acknowledged+"]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", oneLine(f.Entry), oneLine(f.Check), status,
			orDash(string(f.Code)), orDash(oneLine(f.Path)), oneLine(detail))
	}
	if len(r.Scans) > 0 {
		fmt.Fprintln(tw, "\nTARGET\tTLS SCAN\tSUITES\tWEAK")
		for _, t := range r.Scans {
			name := oneLine(t.Target)
			if t.Failed != "" {
				fmt.Fprintf(tw, "%s\tfailed\t-\t%s\n", name, oneLine(t.Failed))
				continue
			}
			for _, v := range t.Versions {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", name, v.Version, v.Suites, orDash(strings.Join(v.Weak, ", ")))
			}
			fmt.Fprintf(tw, "%s\tgroups\t-\t%s; client certificate %s\n", name, orDash(strings.Join(t.Groups, ", ")), oneLine(t.ClientCert))
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteJSON renders the result as one JSON document.
func WriteJSON(w io.Writer, r rules.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// oneLine keeps a table cell on its row: the non-blank lines of s,
// trimmed, joined with "; ", and tabs (which would start a new column)
// turned into spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	var parts []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(strings.ReplaceAll(l, "\t", " ")); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
