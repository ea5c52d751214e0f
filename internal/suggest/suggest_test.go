package suggest

import (
	"strings"
	"testing"
)

func TestClosestKey(t *testing.T) {
	known := []string{"cert", "combined", "expected_names", "key", "key_owner", "name"}
	for typed, want := range map[string]string{
		"keyfile": "key", "kye": "key", "certt": "cert", "Expected-Names": "expected_names",
		"x": "", "colour": "", "owner": "", strings.Repeat("k", 100): "",
	} {
		if got := Closest(typed, known); got != want {
			t.Errorf("Closest(%q) = %q, want %q", typed, got, want)
		}
	}
}
