package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSuggestLen is the longest key closest looks at.
const maxSuggestLen = 64

// unknownKey words the problem of key k, unknown in the mapping of struct
// t at path, whose previous key is prev (nil for the first key). A key of
// the previous key's mapping lost its indentation; a key of the enclosing
// mapping has too much of it; anything else may be a typo of a known key.
func (c *treeChecker) unknownKey(k, prev *yaml.Node, t reflect.Type, path string) string {
	msg := fmt.Sprintf("unknown key %q (line %d)", k.Value, k.Line)
	if prev != nil {
		if pt, ok := yamlFields(t)[prev.Value]; ok && hasKey(pt, k.Value) {
			return msg + fmt.Sprintf(": %q is a key of %q; is it indented under it?", k.Value, join(path, prev.Value))
		}
	}
	for i := len(c.mappings) - 1; i >= 0; i-- {
		outer := c.mappings[i]
		if outer.path == path {
			continue // the mapping itself, or one it merges
		}
		if !hasKey(outer.t, k.Value) {
			break
		}
		where := "a top-level key"
		if outer.path != "" {
			where = fmt.Sprintf("a key of %q", outer.path)
		}
		return msg + fmt.Sprintf(": %q is %s; is it indented too far?", k.Value, where)
	}
	if s := closest(k.Value, fieldNames(t)); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

// hasKey reports whether a mapping decoded into t, or each entry of a list
// decoded into t, may hold key.
func hasKey(t reflect.Type, key string) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return false
	}
	_, ok := yamlFields(t)[key]
	return ok
}

// closest returns the known key a mistyped key most likely meant, or ""
// when none is close: the same letters apart from case, '_' and '-'; one
// being the start of the other ("keyfile" for "key"); or few edits apart
// (one, two in keys of five letters or more, or a third of the length).
func closest(typed string, known []string) string {
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
