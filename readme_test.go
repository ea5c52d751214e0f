package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tableSeparator is a markdown table's second line: |---|:--:|.
var tableSeparator = regexp.MustCompile(`^\|(\s*:?-+:?\s*\|)+\s*$`)

// tableProblems lists what breaks a markdown table's rendering or meaning:
// a row that belongs to no table (a blank line cut the table in two), a row
// with another number of cells than its header, and a first-column key
// that appears twice in one table.
func tableProblems(markdown string) []string {
	var problems []string
	lines := strings.Split(markdown, "\n")
	inFence, inTable, columns := false, false, 0
	seen := map[string]int{}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if strings.HasPrefix(line, "```") {
			inFence, inTable = !inFence, false
			continue
		}
		if inFence || !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cells := tableCells(line)
		if !inTable {
			if i+1 >= len(lines) || !tableSeparator.MatchString(strings.TrimSpace(lines[i+1])) {
				problems = append(problems, fmt.Sprintf("line %d: table row outside a table (a blank line before it splits a table?): %.60s", i+1, line))
				continue
			}
			inTable, columns, seen = true, len(cells), map[string]int{}
			i++ // the separator
			continue
		}
		if len(cells) != columns {
			problems = append(problems, fmt.Sprintf("line %d: %d cells, the header has %d: %.60s", i+1, len(cells), columns, line))
		}
		if key := cells[0]; key != "" {
			if first, dup := seen[key]; dup {
				problems = append(problems, fmt.Sprintf("line %d: %s is already described on line %d", i+1, key, first))
			}
			seen[key] = i + 1
		}
	}
	return problems
}

// tableCells splits a row on the pipes that are not escaped (\|).
func tableCells(row string) []string {
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	parts := strings.Split(strings.ReplaceAll(row, `\|`, "\x00"), "|")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(strings.ReplaceAll(p, "\x00", `\|`))
	}
	return parts
}

func TestTableProblems(t *testing.T) {
	doc := strings.Join([]string{
		"| key | meaning |", "|---|---|", "| `a` | one |", "| `b` | two `x\\|y` |", "",
		"| `c` | cut off |", "",
		"| key | meaning |", "|---|---|", "| `a` | again: another table |", "| `a` | twice |", "| `d` |",
		"```", "| not | a table |", "```",
	}, "\n")
	want := []string{
		"line 6: table row outside a table (a blank line before it splits a table?): | `c` | cut off |",
		"line 11: `a` is already described on line 10",
		"line 12: 1 cells, the header has 2: | `d` |",
	}
	got := tableProblems(doc)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMarkdownTables(t *testing.T) {
	for _, path := range documents(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range tableProblems(string(data)) {
			t.Errorf("%s %s", path, p)
		}
	}
}

// documents lists the README, every page under docs/ and the runbook.
func documents(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("docs/*.md")
	if err != nil || len(pages) == 0 {
		t.Fatalf("docs/*.md: %v (%d pages)", err, len(pages))
	}
	return append([]string{"README.md", "dashboards/RUNBOOK.md"}, pages...)
}

// measuredFigure is a timing or ratio as benchmarks report them: 2.8 ms,
// 107–145 ms, 1.2–1.35×.
var measuredFigure = regexp.MustCompile(`\d+(?:\.\d+)?(?:–\d+(?:\.\d+)?)? ?(?:ms|µs|×)`)

// figuresOutsideTable lists the measured figures stated outside the table
// that follows heading, which is their one source; with heading "" every
// figure is outside.
func figuresOutsideTable(markdown, heading string) []string {
	var out []string
	inSection, inTable, seenTable := false, false, false
	for i, line := range strings.Split(markdown, "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			inSection = line == heading
		case inSection && !seenTable && strings.HasPrefix(line, "|"):
			inTable = true
		case inTable && !strings.HasPrefix(line, "|"):
			inTable, seenTable = false, true
		}
		if inSection && inTable {
			continue
		}
		for _, m := range measuredFigure.FindAllString(line, -1) {
			out = append(out, fmt.Sprintf("line %d: %s", i+1, m))
		}
	}
	return out
}

func TestFiguresOutsideTable(t *testing.T) {
	doc := "## Sessions\nA scrape costs 3.2 ms.\n## How it stays cheap\n\n| what | figure |\n|---|---|\n| renew | 107 ms |\n\nAbout 107–145 ms.\n"
	if got := strings.Join(figuresOutsideTable(doc, "## How it stays cheap"), "; "); got != "line 2: 3.2 ms; line 9: 107–145 ms" {
		t.Fatalf("got %q", got)
	}
}

// figuresPage is the one page that states measured figures, in the table
// under figuresHeading.
const (
	figuresPage    = "docs/performance.md"
	figuresHeading = "## Figures"
)

// TestFiguresHaveOneSource: measured figures are stated once, in the table
// under "Figures" in docs/performance.md, and referred to elsewhere.
func TestFiguresHaveOneSource(t *testing.T) {
	for _, path := range documents(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		heading := ""
		if path == figuresPage {
			heading = figuresHeading
		}
		for _, f := range figuresOutsideTable(string(data), heading) {
			t.Errorf("%s %s: state it in the table of %s and refer to it", path, f, figuresPage)
		}
	}
}

// markdownLink matches a link's target: [text](target).
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// headingAnchor is the anchor GitHub gives a heading: lower case, spaces to
// dashes, punctuation other than - and _ dropped.
func headingAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocumentLinks: every relative link of the README, the pages under
// docs/ and the runbook names a file that exists and, with a #fragment, a
// heading of that file.
func TestDocumentLinks(t *testing.T) {
	for _, path := range documents(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range markdownLink.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			file, fragment, _ := strings.Cut(target, "#")
			linked := path
			if file != "" {
				linked = filepath.Join(filepath.Dir(path), file)
			}
			content, err := os.ReadFile(linked)
			if err != nil {
				t.Errorf("%s: link %s: %v", path, target, err)
				continue
			}
			if fragment == "" {
				continue
			}
			found := false
			for _, line := range strings.Split(string(content), "\n") {
				if strings.HasPrefix(line, "#") && headingAnchor(strings.TrimLeft(line, "#")) == fragment {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: link %s: %s has no heading with that anchor", path, target, linked)
			}
		}
	}
}
