package config

import (
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/magflow/pgtls_exporter/internal/suggest"
)

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
	if s := suggest.Closest(k.Value, fieldNames(t)); s != "" {
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
