package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/exporter-toolkit/web"
	"gopkg.in/yaml.v3"

	"github.com/magflow/pgtls_exporter/internal/rules"
	"github.com/magflow/pgtls_exporter/internal/testcerts"
	"github.com/magflow/pgtls_exporter/internal/testenv"
	"github.com/magflow/pgtls_exporter/internal/webhook"
)

// codeMatcher is the route's matcher of the README's Alertmanager block.
var codeMatcher = regexp.MustCompile(`^code=~"([a-z_|]+)"$`)

// TestREADMEWebhookRoute: the README's Alertmanager block is the one the
// webhook package writes (the demo and the end-to-end test run it), its
// route matches exactly
// the codes the rules table lets renew fix, and stale_certificate, which
// are the codes the webhook acts on; amtool accepts the block as an
// Alertmanager configuration, and exporter-toolkit the webhook's web
// configuration.
func TestREADMEWebhookRoute(t *testing.T) {
	block := setUpBlock(t, "yaml", "webhook_configs:")
	if want := webhook.AlertmanagerConfig(webhook.AlertmanagerRoute{URL: "http://db-host.example.com:9872",
		User: "alertmanager", PasswordFile: "/etc/alertmanager/pgtls_webhook.password"}); block != want {
		t.Errorf("the README's Alertmanager block is not webhook.AlertmanagerConfig's; it should read:\n%s", want)
	}
	var am struct {
		Route struct {
			Routes []struct {
				Receiver string   `yaml:"receiver"`
				Matchers []string `yaml:"matchers"`
			} `yaml:"routes"`
		} `yaml:"route"`
	}
	if err := yaml.Unmarshal([]byte(block), &am); err != nil {
		t.Fatal(err)
	}
	var matchers []string
	for _, r := range am.Route.Routes {
		if r.Receiver == "pgtls-webhook" {
			matchers = r.Matchers
		}
	}
	if len(matchers) != 1 || !codeMatcher.MatchString(matchers[0]) {
		t.Fatalf("the pgtls-webhook route's matchers are %q, want one code=~\"...\"", matchers)
	}
	var want []string
	for _, r := range rules.Table() {
		if r.Renew || r.Code == rules.StaleCertificate {
			want = append(want, string(r.Code))
		}
	}
	got := codeMatcher.FindStringSubmatch(matchers[0])[1]
	if got != strings.Join(want, "|") {
		t.Fatalf("the README's route matches\n%s\nthe rules table's renew codes and stale_certificate are\n%s", got, strings.Join(want, "|"))
	}
	var acted []string
	for _, c := range webhook.Codes() {
		acted = append(acted, string(c))
	}
	if got != strings.Join(acted, "|") {
		t.Fatalf("the README's route matches\n%s\nthe webhook acts on\n%s", got, strings.Join(acted, "|"))
	}

	amtool, err := exec.LookPath("amtool")
	if err != nil {
		testenv.SkipOrFatal(t, "amtool not installed (Debian package prometheus-alertmanager)")
	}
	path := testcerts.WriteFile(t, filepath.Join(t.TempDir(), "alertmanager.yml"), []byte(block), 0o644)
	out, err := exec.Command(amtool, "check-config", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}

	webBlock := setUpBlock(t, "yaml", "basic_auth_users:")
	webPath := filepath.Join(t.TempDir(), "webhook-web.yml")
	if err := os.WriteFile(webPath, []byte(webBlock), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := web.Validate(webPath); err != nil {
		t.Fatalf("the README's web configuration: %v", err)
	}
}
