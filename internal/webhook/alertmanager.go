package webhook

import (
	"fmt"
	"strings"
)

// AlertmanagerRoute is what AlertmanagerConfig writes: the webhook's URL
// and Alertmanager's credentials for it, and optionally the timing of
// the root route and more matchers for the webhook's route.
type AlertmanagerRoute struct {
	// URL is the webhook's base URL; notifications go to URL/alerts.
	URL          string
	User         string
	PasswordFile string
	// GroupWait, GroupInterval and RepeatInterval are set on the root
	// route when not empty.
	GroupWait, GroupInterval, RepeatInterval string
	// Matchers are added to the webhook route's code matcher.
	Matchers []string
}

// AlertmanagerConfig is an Alertmanager configuration that sends the
// alerts the webhook acts on (Codes) to it with basic auth, resolved ones
// too, grouped by alert, instance and subject, and on to people (the
// receiver team). The README's set-up section shows it.
func AlertmanagerConfig(r AlertmanagerRoute) string {
	codes := make([]string, 0, len(Codes()))
	for _, c := range Codes() {
		codes = append(codes, string(c))
	}
	matchers := append([]string{fmt.Sprintf(`'code=~"%s"'`, strings.Join(codes, "|"))}, quoted(r.Matchers)...)
	var timing strings.Builder
	for _, kv := range [][2]string{{"group_wait", r.GroupWait}, {"group_interval", r.GroupInterval}, {"repeat_interval", r.RepeatInterval}} {
		if kv[1] != "" {
			fmt.Fprintf(&timing, "  %s: %s\n", kv[0], kv[1])
		}
	}
	return fmt.Sprintf(`route:
  receiver: team
%s  routes:
    - receiver: pgtls-webhook
      matchers: [%s]
      group_by: [alertname, instance, subject]
      continue: true                      # people get the alert too
    - receiver: team
receivers:
  - name: team                            # your receiver for people
  - name: pgtls-webhook
    webhook_configs:
      - url: %s/alerts
        send_resolved: true
        http_config:
          basic_auth:
            username: %s
            password_file: %s
`, timing.String(), strings.Join(matchers, ", "), r.URL, r.User, r.PasswordFile)
}

// quoted puts each matcher in single quotes, as YAML needs for a matcher
// holding double quotes.
func quoted(matchers []string) []string {
	out := make([]string, len(matchers))
	for i, m := range matchers {
		out[i] = "'" + m + "'"
	}
	return out
}
