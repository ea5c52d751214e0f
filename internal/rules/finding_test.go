package rules

import "testing"

func TestSummarizeOrder(t *testing.T) {
	cases := []struct {
		in   []Severity
		want Severity
	}{
		{nil, OK},
		{[]Severity{OK, Unknown}, Unknown},
		{[]Severity{Unknown, Warning}, Warning},
		{[]Severity{Warning, Critical, Unknown}, Critical},
	}
	for _, tc := range cases {
		var fs []Finding
		for _, s := range tc.in {
			fs = append(fs, Finding{Status: s})
		}
		if got := Summarize(fs); got.Status != tc.want || got.ExitCode != int(tc.want) {
			t.Errorf("%v: got %v", tc.in, got.Status)
		}
	}
}
