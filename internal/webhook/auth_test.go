package webhook

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/magflow/pgtls_exporter/internal/testcerts"
)

// runServer runs a webhook with opts until the test ends, and returns its
// base URL once it answers.
func runServer(t *testing.T, opts Options) string {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	base := "http://" + (*opts.WebConfig.WebListenAddresses)[0]
	for range 100 {
		client := &http.Client{Timeout: time.Second}
		if resp, err := client.Get(base + "/-/healthy"); err == nil {
			resp.Body.Close()
			return base
		}
		sleep()
	}
	t.Fatalf("webhook at %s does not answer", base)
	return ""
}

// TestWrongPasswordRenewsNothing: through exporter-toolkit's basic auth, a
// wrong password or none gets 401 and renews nothing; the right one gets
// the alert acted on.
func TestWrongPasswordRenewsNothing(t *testing.T) {
	f := newFakeRenew()
	webConfig := writeWebConfig(t, "basic_auth_users:\n  "+amUser+": "+amHash+"\n")
	base := runServer(t, Options{ConfigFile: writeConfig(t, ""), WebConfig: loopback(t, webConfig), Logger: quiet(), Run: f.run})
	body := notification(t, "g", alert("f", "expired", "files", "postgres"))
	for _, tc := range []struct{ user, password string }{{amUser, "wrong"}, {"", ""}, {"someone", amPassword}} {
		if status, answer := post(t, http.MethodPost, base+"/alerts", body, tc.user, tc.password); status != http.StatusUnauthorized {
			t.Fatalf("user %q password %q: %d %q, want 401", tc.user, tc.password, status, answer)
		}
	}
	if status, _ := post(t, http.MethodGet, base+"/metrics", "", amUser, "wrong"); status != http.StatusUnauthorized {
		t.Fatalf("/metrics with a wrong password: %d", status)
	}
	if got := f.calls(); len(got) != 0 {
		t.Fatalf("renew ran without authentication: %q", got)
	}
	if status, answer := post(t, http.MethodPost, base+"/alerts", body, amUser, amPassword); status != http.StatusAccepted || answer != "queued 1\n" {
		t.Fatalf("right password: %d %q", status, answer)
	}
	f.waitRuns(t, 1)
	waitSeries(t, base, amUser, amPassword, `pgtls_webhook_alerts_total{action="renew",result="queued"} 1`)
}

// TestRefusesToStartUnauthenticated: without a web configuration that
// authenticates, the webhook starts only on loopback and when told to.
func TestRefusesToStartUnauthenticated(t *testing.T) {
	const need = "the webhook renews certificates and reloads servers on request, so it needs authentication: " +
		"give --web.config.file with basic_auth_users, or tls_server_config with client_auth_type: RequireAndVerifyClientCert and a client_ca_file"
	basic := writeWebConfig(t, "basic_auth_users:\n  "+amUser+": "+amHash+"\n")
	tlsOnly, clientCerts := tlsWebConfigs(t)
	// Without a client CA, Go verifies client certificates against the
	// system's roots: any publicly trusted certificate would get in.
	noClientCA := writeWebConfig(t, strings.Replace(mustRead(t, clientCerts), "  client_ca_file:", "  # client_ca_file:", 1))
	badHash := writeWebConfig(t, "basic_auth_users:\n  "+amUser+": not-a-hash\n")
	unknownKey := writeWebConfig(t, "basic_auth_user:\n  "+amUser+": "+amHash+"\n")
	tests := []struct {
		name      string
		addrs     []string
		webConfig string
		allow     bool
		systemd   bool
		want      string // the error, "" for none
	}{
		{"all interfaces", []string{":9872"}, "", false, false,
			need + " (--webhook.allow-unauthenticated applies only when every listen address is loopback, and :9872 is not)"},
		{"all interfaces, allowed", []string{":9872"}, "", true, false,
			need + " (--webhook.allow-unauthenticated applies only when every listen address is loopback, and :9872 is not)"},
		{"one address not loopback", []string{"127.0.0.1:9872", "10.1.2.3:9872"}, "", true, false,
			need + " (--webhook.allow-unauthenticated applies only when every listen address is loopback, and 10.1.2.3:9872 is not)"},
		{"a host name", []string{"db.example.com:9872"}, "", true, false,
			need + " (--webhook.allow-unauthenticated applies only when every listen address is loopback, and db.example.com:9872 is not)"},
		{"systemd sockets", nil, "", true, true,
			need + " (with systemd sockets the listen addresses are unknown, so --webhook.allow-unauthenticated does not apply)"},
		{"loopback, not allowed", []string{"127.0.0.1:9872"}, "", false, false,
			need + ", or --webhook.allow-unauthenticated to serve on loopback without it"},
		{"TLS without client certificates", []string{"0.0.0.0:9872"}, tlsOnly, false, false,
			need + " (--webhook.allow-unauthenticated applies only when every listen address is loopback, and 0.0.0.0:9872 is not)"},
		{"TLS with verified client certificates", []string{":9872"}, clientCerts, false, false, ""},
		{"client certificates verified against no CA of ours", []string{":9872"}, noClientCA, false, false,
			need + " (--webhook.allow-unauthenticated applies only when every listen address is loopback, and :9872 is not)"},
		{"loopback, allowed", []string{"127.0.0.1:9872", "[::1]:9872", "localhost:9872"}, "", true, false, ""},
		{"basic auth on all interfaces", []string{":9872"}, basic, false, false, ""},
		{"a password that is no bcrypt hash", []string{":9872"}, badHash, false, false,
			"web configuration " + badHash + ": crypto/bcrypt: hashedSecret too short to be a bcrypted password"},
		{"a misspelt key", []string{":9872"}, unknownKey, false, false,
			"web configuration " + unknownKey + ": yaml: unmarshal errors:\n  line 1: field basic_auth_user not found in type web.Config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addrs, file, systemd := tc.addrs, tc.webConfig, tc.systemd
			_, err := New(Options{ConfigFile: writeConfig(t, ""), AllowUnauthenticated: tc.allow, Logger: quiet(),
				WebConfig: &web.FlagConfig{WebListenAddresses: &addrs, WebConfigFile: &file, WebSystemdSocket: &systemd}})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("error:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// mustRead returns a file's content.
func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestAuthenticationDroppedLater: exporter-toolkit rereads the web
// configuration for every request; once an edit drops basic auth, the
// webhook answers 503 and renews nothing, and serves again once it is back.
func TestAuthenticationDroppedLater(t *testing.T) {
	f := newFakeRenew()
	with := "basic_auth_users:\n  " + amUser + ": " + amHash + "\n"
	webConfig := writeWebConfig(t, with)
	flags := loopback(t, webConfig)
	base := runServer(t, Options{ConfigFile: writeConfig(t, ""), WebConfig: flags, Logger: quiet(), Run: f.run})
	body := notification(t, "g", alert("f", "expired", "files", "postgres"))
	if err := os.WriteFile(webConfig, []byte("# basic_auth_users removed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/alerts", "/metrics", "/-/healthy"} {
		if status, answer := post(t, http.MethodPost, base+path, body, "", ""); status != http.StatusServiceUnavailable {
			t.Errorf("%s without authentication in the web configuration: %d %q, want 503", path, status, answer)
		}
	}
	if got := f.calls(); len(got) != 0 {
		t.Fatalf("renew ran without authentication: %q", got)
	}
	if err := os.WriteFile(webConfig, []byte(with), 0o644); err != nil {
		t.Fatal(err)
	}
	if status, answer := post(t, http.MethodPost, base+"/alerts", body, amUser, amPassword); status != http.StatusAccepted {
		t.Fatalf("authentication back: %d %q", status, answer)
	}
	f.waitRuns(t, 1)
}

// tlsWebConfigs writes two web configurations with a server certificate:
// one without client authentication, one that requires verified client
// certificates.
func tlsWebConfigs(t *testing.T) (tlsOnly, clientCerts string) {
	t.Helper()
	dir := t.TempDir()
	ca := testcerts.CA(t, "webhook test CA")
	leaf := testcerts.Issue(t, ca, testcerts.Options{CommonName: "webhook", DNSNames: []string{"localhost"}})
	crt := testcerts.WriteFile(t, filepath.Join(dir, "webhook.crt"), leaf.CertPEM, 0o644)
	key := testcerts.WriteFile(t, filepath.Join(dir, "webhook.key"), leaf.KeyPEM, 0o600)
	caFile := testcerts.WriteFile(t, filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o644)
	server := "tls_server_config:\n  cert_file: " + crt + "\n  key_file: " + key + "\n"
	return writeWebConfig(t, server), writeWebConfig(t, server+"  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: "+caFile+"\n")
}

// TestRunStopsWhenServingFails: a listen address already in use ends Run
// with the error, the worker stopped.
func TestRunStopsWhenServingFails(t *testing.T) {
	flags := loopback(t, "")
	holder := runServer(t, Options{ConfigFile: writeConfig(t, ""), WebConfig: flags, AllowUnauthenticated: true, Logger: quiet()})
	s, err := New(Options{ConfigFile: writeConfig(t, ""), WebConfig: flags, AllowUnauthenticated: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("Run: %v, want address already in use (%s holds it)", err, holder)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when its address was taken")
	}
}

// TestReload: a new configuration's entries are matched after Reload; a
// configuration that does not load leaves the running one in force.
func TestReload(t *testing.T) {
	path := writeConfig(t, "")
	s, err := New(Options{ConfigFile: path, WebConfig: loopback(t, ""), AllowUnauthenticated: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	standby := alert("f", "expired", "files", "standby")
	if d := decide(s.config(), standby); d.result != ResultUnknownSubject {
		t.Fatalf("before: %+v", d)
	}
	const replica = "  - {name: replica, cert: replica.crt}\n"
	testcerts.WriteFile(t, path, []byte(strings.Replace(testConfig, replica, replica+"  - {name: standby, cert: standby.crt}\n", 1)), 0o644)
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if d := decide(s.config(), standby); d.result != "" || d.entry != "standby" {
		t.Fatalf("after the reload: %+v", d)
	}
	testcerts.WriteFile(t, path, []byte("certificates: [{name: x}]\n"), 0o644)
	if err := s.Reload(); err == nil {
		t.Fatal("an invalid configuration was loaded")
	}
	if d := decide(s.config(), standby); d.entry != "standby" {
		t.Fatalf("after a failed reload: %+v", d)
	}
}
