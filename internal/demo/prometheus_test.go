package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// fakePrometheus answers 200 on the given paths and 404 elsewhere.
func fakePrometheus(t *testing.T, paths ...string) string {
	t.Helper()
	mux := http.NewServeMux()
	for _, p := range paths {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) {})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAlertsPage(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		want  string // path, or "" for an error
	}{
		{"Debian 12's Prometheus 2.42 (no React UI)", []string{"/classic/alerts", "/-/ready"}, "/classic/alerts"},
		{"Prometheus 3", []string{"/alerts", "/-/ready"}, "/alerts"},
		{"Prometheus 2.x with both UIs", []string{"/alerts", "/classic/alerts"}, "/alerts"},
		{"no alerts page", []string{"/-/ready"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := fakePrometheus(t, tc.paths...)
			got, err := alertsPage(context.Background(), http.DefaultClient, base)
			switch {
			case tc.want == "" && err == nil:
				t.Fatalf("got %s, want an error", got)
			case tc.want == "" && err.Error() != "alerts page of "+base+": none answers 200 (/alerts: 404 Not Found, /classic/alerts: 404 Not Found)":
				t.Fatalf("error %q", err)
			case tc.want != "" && (err != nil || got != base+tc.want):
				t.Fatalf("got %q, %v; want %q", got, err, base+tc.want)
			}
		})
	}
}
