package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Bounds of checkNode: nesting depth, and nodes visited through aliases
// (an alias repeats the nodes of its anchor, and aliases of aliases do so
// exponentially). Aliases may always expand to minAliasVisits nodes, and
// in a larger document to aliasVisitsPerNode times the nodes it holds, so
// that the work stays proportional to its size; nodes written out are not
// bounded, whatever their number.
const (
	maxYAMLDepth       = 32
	minAliasVisits     = 100_000
	aliasVisitsPerNode = 4
)

// treeChecker walks one YAML tree; add records a problem, durations the
// text of each valid duration by path.
type treeChecker struct {
	add       func(path, format string, args ...any)
	durations map[string]string
	// mappings are the struct mappings being checked, outermost first.
	mappings []mapping
	// aliases counts the aliases being followed; aliasVisits the nodes
	// visited beneath them, at most maxAliasVisits.
	aliases, aliasVisits, maxAliasVisits int
}

// mapping is a YAML mapping decoded into struct t at path.
type mapping struct {
	t    reflect.Type
	path string
}

// newTreeChecker returns a checker of the tree under root.
func newTreeChecker(root *yaml.Node, add func(path, format string, args ...any)) *treeChecker {
	return &treeChecker{add: add, durations: map[string]string{},
		maxAliasVisits: max(minAliasVisits, aliasVisitsPerNode*countNodes(root))}
}

// countNodes counts the nodes written in the tree under root, aliases
// counted once and not followed.
func countNodes(root *yaml.Node) int {
	n, stack := 0, []*yaml.Node{root}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = append(stack[:len(stack)-1], top.Content...)
		n++
	}
	return n
}

// enter counts a visit; it reports false (once, with a problem) when the
// tree is too deep, or aliases expand to too many nodes, to check.
func (c *treeChecker) enter(n *yaml.Node, path string, depth int) bool {
	if c.aliases > 0 {
		c.aliasVisits++
		switch {
		case c.aliasVisits == c.maxAliasVisits+1:
			c.add(path, "too many values once aliases are expanded (line %d)", n.Line)
			return false
		case c.aliasVisits > c.maxAliasVisits:
			return false
		}
	}
	if depth > maxYAMLDepth {
		c.add(path, "nested too deeply (line %d)", n.Line)
		return false
	}
	return true
}

// follow runs walk with the visits counted as beneath an alias.
func (c *treeChecker) follow(walk func()) {
	c.aliases++
	walk()
	c.aliases--
}

var durationType = reflect.TypeFor[model.Duration]()

// checkNode walks a YAML tree against the Go type it decodes into and
// reports, by field path and line, what decoding would refuse or get
// wrong: unknown keys (with the closest known key), keys given twice,
// values of the wrong kind, invalid or negative durations, and strings
// holding a NUL byte. Values are never quoted for string fields, so a DSN's
// password cannot reach a message.
func (c *treeChecker) checkNode(n *yaml.Node, t reflect.Type, path string, depth int) {
	if !c.enter(n, path, depth) {
		return
	}
	if n.Kind == yaml.AliasNode {
		c.follow(func() { c.checkNode(n.Alias, t, path, depth+1) })
		return
	}
	if isNull(n) {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		if checkDuration(n, path, c.add) && c.durations != nil {
			c.durations[path] = n.Value
		}
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.add(path, "expected a mapping of keys, got %s (line %d)", describe(n, false), n.Line)
			return
		}
		c.checkMapping(n, t, path, depth, map[string]int{})
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.add(path, "expected a list, got %s (line %d)", describe(n, false), n.Line)
			return
		}
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if isNull(item) && t.Elem().Kind() == reflect.String {
				// YAML reads null, Null, NULL and ~ as nothing, which a list
				// of strings would silently lose.
				c.add(p, "is null (line %d); quote %q if you mean the word", item.Line, item.Value)
				continue
			}
			c.checkNode(item, t.Elem(), p, depth+1)
		}
	default:
		checkScalar(n, t, path, c.add)
	}
}

// checkMapping checks the keys of a mapping decoded into struct t; seen
// maps the keys met so far to their line.
func (c *treeChecker) checkMapping(n *yaml.Node, t reflect.Type, path string, depth int, seen map[string]int) {
	add := c.add
	fields := yamlFields(t)
	c.mappings = append(c.mappings, mapping{t: t, path: path})
	defer func() { c.mappings = c.mappings[:len(c.mappings)-1] }()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			c.checkMerge(v, t, path, depth) // merged keys yield to the mapping's own
			continue
		}
		ft, known := fields[k.Value]
		switch {
		case !known:
			var prev *yaml.Node
			if i >= 2 {
				prev = n.Content[i-2]
			}
			add(path, "%s", c.unknownKey(k, prev, t, path))
			continue
		case seen[k.Value] != 0:
			add(join(path, k.Value), "is given twice (lines %d and %d)", seen[k.Value], k.Line)
			continue
		}
		seen[k.Value] = k.Line
		c.checkNode(v, ft, join(path, k.Value), depth+1)
	}
}

// checkMerge checks the mapping (or list of mappings) a "<<" key merges.
func (c *treeChecker) checkMerge(v *yaml.Node, t reflect.Type, path string, depth int) {
	if !c.enter(v, path, depth) {
		return
	}
	switch v.Kind {
	case yaml.AliasNode:
		c.follow(func() { c.checkMerge(v.Alias, t, path, depth+1) })
	case yaml.MappingNode:
		c.checkMapping(v, t, path, depth+1, map[string]int{})
	case yaml.SequenceNode:
		for _, m := range v.Content {
			c.checkMerge(m, t, path, depth+1)
		}
	default:
		c.add(path, "a merge (<<) needs a mapping, got %s (line %d)", describe(v, false), v.Line)
	}
}

// checkScalar decodes a leaf value to see that it fits its field.
func checkScalar(n *yaml.Node, t reflect.Type, path string, add func(path, format string, args ...any)) {
	isString := t.Kind() == reflect.String
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		add(path, "expected %s, got %s (line %d)", expected(t), describe(n, !isString), n.Line)
		return
	}
	if isString && strings.IndexByte(n.Value, 0) >= 0 {
		add(path, "holds a NUL byte (line %d)", n.Line)
	}
}

// checkDuration refuses what model.Duration refuses, with the reason; it
// reports whether the duration is valid.
func checkDuration(n *yaml.Node, path string, add func(path, format string, args ...any)) bool {
	if n.Kind != yaml.ScalarNode {
		add(path, "expected %s, got %s (line %d)", expected(durationType), describe(n, false), n.Line)
		return false
	}
	if _, err := model.ParseDuration(n.Value); err != nil {
		if strings.HasPrefix(strings.TrimSpace(n.Value), "-") {
			add(path, "must not be negative, got %q (line %d)", n.Value, n.Line)
			return false
		}
		add(path, "expected %s, got %q (line %d)", expected(durationType), n.Value, n.Line)
		return false
	}
	return true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node holds; withValue quotes a scalar's value.
func describe(n *yaml.Node, withValue bool) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if withValue {
		return fmt.Sprintf("%q", n.Value)
	}
	return "a single value"
}

// expected says in words what a field of type t holds.
func expected(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as 30s, 5m or 90d"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	}
	return "a " + t.Kind().String()
}

// yamlFields maps the YAML keys of struct t (inline structs included) to
// their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-":
		case strings.Contains(opts, "inline"):
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
		case name == "":
			out[strings.ToLower(f.Name)] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

// fieldNames lists the YAML keys of struct t.
func fieldNames(t reflect.Type) []string {
	var names []string
	for k := range yamlFields(t) {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
