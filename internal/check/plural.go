package check

import "fmt"

// noun is a countable noun in its singular and plural forms.
type noun struct{ one, many string }

// form is the noun's form for a count of k.
func (n noun) form(k int) string {
	if k == 1 {
		return n.one
	}
	return n.many
}

// of is "1 client session", "0 client sessions", "2 client sessions".
func (n noun) of(k int) string { return fmt.Sprintf("%d %s", k, n.form(k)) }
