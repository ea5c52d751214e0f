package rotation

import (
	"slices"
	"testing"
)

func TestRotationSteps(t *testing.T) {
	tests := []struct {
		phase, until string
		finish       bool
		steps        []string
		refuse       bool
		msg          string
	}{
		{"none", "", false, []string{"prepare"}, false, ""},
		{"prepared", "", false, []string{"switch"}, false, ""},
		{"switched", "", false, nil, true, "the CA rotation is switched: every server serves certificates of the new CA while both CAs are trusted. Once no client needs the old CA, finish it with renew --rotate-ca --finish"},
		{"switched", "", true, []string{"finish"}, false, ""},
		{"prepared", "", true, []string{"switch", "finish"}, false, ""},
		{"finished", "", false, []string{"prepare"}, false, ""},
		{"none", "switch", false, []string{"prepare", "switch"}, false, ""},
		{"none", "finish", false, []string{"prepare", "switch", "finish"}, false, ""},
		{"finished", "switch", false, []string{"prepare", "switch"}, false, ""},
		{"prepared", "prepare", false, nil, false, "the CA rotation is prepared already: nothing to do up to prepare"},
		{"switched", "switch", false, nil, false, "the CA rotation is switched already: nothing to do up to switch"},
		{"none", "", true, nil, true, "no CA rotation is under way (phase none): nothing to finish; renew --rotate-ca starts one"},
		{"finished", "", true, nil, false, "the CA rotation is finished already: nothing to do (renew --rotate-ca starts a new one)"},
	}
	for _, tc := range tests {
		steps, msg, refuse := StepsFrom(tc.phase, tc.until, tc.finish)
		if !slices.Equal(steps, tc.steps) || msg != tc.msg || refuse != tc.refuse {
			t.Errorf("from %s, until %q, finish %v: %v %q %v; want %v %q %v", tc.phase, tc.until, tc.finish,
				steps, msg, refuse, tc.steps, tc.msg, tc.refuse)
		}
	}
}
