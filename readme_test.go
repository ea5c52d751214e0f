package main

import (
	"fmt"
	"os"
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
	for _, path := range []string{"README.md", "dashboards/RUNBOOK.md"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range tableProblems(string(data)) {
			t.Errorf("%s %s", path, p)
		}
	}
}

// measuredFigure is a timing or ratio as benchmarks report them: 2.8 ms,
// 107–145 ms, 1.2–1.35×.
var measuredFigure = regexp.MustCompile(`\d+(?:\.\d+)?(?:–\d+(?:\.\d+)?)? ?(?:ms|µs|×)`)

// figuresOutsideTable lists the measured figures stated outside the table
// that follows heading, which is their one source.
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

// TestREADMEFiguresHaveOneSource: measured figures are stated once, in the
// table under "How it stays cheap", and referred to elsewhere.
func TestREADMEFiguresHaveOneSource(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figuresOutsideTable(string(data), "## How it stays cheap") {
		t.Errorf("README.md %s: state it in the table under How it stays cheap and refer to it", f)
	}
}
