// Package suggest finds the word a mistyped one most likely meant: a
// configuration key, a problem code or a command-line flag.
package suggest

import "strings"

// maxSuggestLen is the longest key closest looks at.
const maxSuggestLen = 64

// Closest returns the known key a mistyped key most likely meant, or ""
// when none is close: the same letters apart from case, '_' and '-'; one
// being the start of the other ("keyfile" for "key"); or few edits apart
// (one, two in keys of five letters or more, or a third of the length).
func Closest(typed string, known []string) string {
	t := normalizeKey(typed)
	if len(t) > maxSuggestLen {
		return ""
	}
	best, bestDist := "", -1
	for _, k := range known {
		n := normalizeKey(k)
		d := editDistance(t, n)
		close := d <= 1 || (d == 2 && len(t) >= 5) || 3*d <= len(t) ||
			(min(len(t), len(n)) >= 3 && (strings.HasPrefix(t, n) || strings.HasPrefix(n, t)))
		if close && (bestDist < 0 || d < bestDist) {
			best, bestDist = k, d
		}
	}
	return best
}

func normalizeKey(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
}

// editDistance counts the insertions, deletions, substitutions and swaps
// of neighbours that turn a into b (optimal string alignment, in bytes).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
