package check

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteText renders the result as a table followed by a summary line.
func WriteText(w io.Writer, r Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tCHECK\tSTATUS\tPATH\tDETAIL")
	for _, f := range r.Findings {
		path := f.Path
		if path == "" {
			path = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Entry, f.Check, f.Status, path, f.Detail)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	c := r.Counts()
	_, err := fmt.Fprintf(w, "\n%s: %d critical, %d warning, %d unknown, %d ok\n",
		r.Status, c[Critical], c[Warning], c[Unknown], c[OK])
	return err
}

// WriteJSON renders the result as one JSON document.
func WriteJSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}
