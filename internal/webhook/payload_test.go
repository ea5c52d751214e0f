package webhook

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestBadRequests: a wrong method, an oversize body and payloads that are
// no version 4 notification are refused, and nothing runs.
func TestBadRequests(t *testing.T) {
	s := newTestServer(t, "")
	big := `{"version": "4", "alerts": [], "pad": "` + strings.Repeat("x", MaxBody) + `"}`
	tests := []struct {
		name, method, body string
		status             int
		answer             string
	}{
		{"GET", http.MethodGet, "", 405, "alerts are POSTed by Alertmanager's webhook_configs\n"},
		{"oversize", http.MethodPost, big, 413, "notification larger than 1048576 bytes\n"},
		{"not JSON", http.MethodPost, "code=expired", 400, "not an Alertmanager webhook notification: invalid character 'c' looking for beginning of value\n"},
		{"empty", http.MethodPost, "", 400, "not an Alertmanager webhook notification: EOF\n"},
		{"two values", http.MethodPost, `{"version": "4"} {}`, 400, "not an Alertmanager webhook notification: more than one JSON value\n"},
		{"cut short", http.MethodPost, `{"version": "4", "alerts": [`, 400, "not an Alertmanager webhook notification: unexpected EOF\n"},
		{"version 3", http.MethodPost, `{"version": "3", "alerts": []}`, 400, "not an Alertmanager webhook notification: version \"3\", want \"4\"\n"},
		{"bad status", http.MethodPost, `{"version": "4", "alerts": [{"status": "pending", "labels": {"code": "expired"}}]}`, 400,
			"not an Alertmanager webhook notification: alerts[0].status \"pending\" is neither firing nor resolved\n"},
		{"labels of the wrong type", http.MethodPost, `{"version": "4", "alerts": [{"status": "firing", "labels": {"code": 1}}]}`, 400,
			"not an Alertmanager webhook notification: json: cannot unmarshal number into Go struct field Alert.alerts.labels of type string\n"},
		{"no alerts", http.MethodPost, `{"version": "4", "alerts": []}`, 200, "no alerts\n"},
	}
	for _, tc := range tests {
		status, answer := post(t, tc.method, s.url+"/alerts", tc.body, "", "")
		if status != tc.status || answer != tc.answer {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, answer, tc.status, tc.answer)
		}
	}
	if got := s.renew.calls(); len(got) != 0 {
		t.Fatalf("renew ran: %q", got)
	}
}

// TestCodes: the webhook acts on every code renew treats as due, and on
// stale_certificate, and on nothing else.
func TestCodes(t *testing.T) {
	var got []string
	for _, c := range Codes() {
		got = append(got, string(c))
	}
	want := []string{"file_missing", "file_unreadable", "file_invalid", "expired", "not_yet_valid", "expires_very_soon",
		"expires_soon", "san_missing", "common_name_only", "unknown_authority", "chain_invalid", "leaf_key_usage_refused",
		"ip_as_dns_san", "leaf_not_first", "key_mismatch", "stale_certificate"}
	if !slices.Equal(got, want) {
		t.Fatalf("codes %q\nwant  %q", got, want)
	}
}

// TestRunResult: each exit code of renew has its result label.
func TestRunResult(t *testing.T) {
	for _, tc := range []struct {
		code   int
		dryRun bool
		want   string
	}{{0, false, "ok"}, {1, false, "rolled_back"}, {2, false, "not_rolled_back"}, {4, false, "refused"}, {7, false, "not_rolled_back"}, {0, true, "dry_run"}, {1, true, "dry_run_refused"}} {
		if got := runResult(tc.code, tc.dryRun); got != tc.want {
			t.Errorf("runResult(%d, %v) = %q, want %q", tc.code, tc.dryRun, got, tc.want)
		}
	}
}
