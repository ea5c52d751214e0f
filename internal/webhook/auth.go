package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v2"

	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// requireClientCert is the client_auth_type that authenticates every
// client by a certificate.
const requireClientCert = "RequireAndVerifyClientCert"

// authMode says how the webhook's web configuration authenticates
// clients: "basic auth", "client certificates", both, or "" for nobody.
func authMode(webConfigFile string) (string, error) {
	if webConfigFile == "" {
		return "", nil
	}
	if err := web.Validate(webConfigFile); err != nil {
		return "", fmt.Errorf("web configuration %s: %w", webConfigFile, err)
	}
	data, err := regfile.Read(webConfigFile, regfile.MaxConfig)
	if err != nil {
		return "", fmt.Errorf("web configuration: %w", err)
	}
	var c web.Config
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return "", fmt.Errorf("web configuration %s: %w", webConfigFile, err)
	}
	var modes []string
	if len(c.Users) > 0 {
		modes = append(modes, "basic auth")
	}
	// Without a client CA, Go checks client certificates against the
	// system's roots: any publicly trusted certificate would do.
	if c.TLSConfig.ClientAuth == requireClientCert && (c.TLSConfig.ClientCAs != "" || c.TLSConfig.ClientCAsText != "") {
		modes = append(modes, "client certificates")
	}
	return strings.Join(modes, " and "), nil
}

// plainBasicAuth reports whether the web configuration sends basic-auth
// passwords without TLS.
func plainBasicAuth(webConfigFile string) bool {
	data, err := regfile.Read(webConfigFile, regfile.MaxConfig)
	if err != nil {
		return false
	}
	var c web.Config
	if yaml.Unmarshal(data, &c) != nil {
		return false
	}
	return len(c.Users) > 0 && c.TLSConfig.TLSCertPath == "" && c.TLSConfig.TLSCert == ""
}

// guard serves next only while the web configuration still authenticates
// clients as checkAuth requires: exporter-toolkit rereads the file for
// every request, so an edit that drops authentication would otherwise open
// the webhook. Such requests get 503 and the error is logged.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := checkAuth(s.opts.WebConfig, s.opts.AllowUnauthenticated); err != nil {
			s.logger.Error("request refused: the web configuration no longer authenticates clients", "path", r.URL.Path, "err", err)
			http.Error(w, "the webhook's web configuration no longer requires authentication; see its log", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkAuth refuses a webhook that anyone who reaches it could use to
// renew certificates and reload servers: the web configuration must
// require basic auth or verified client certificates, unless every listen
// address is on loopback and allowUnauthenticated is set.
func checkAuth(flags *web.FlagConfig, allowUnauthenticated bool) (string, error) {
	file := ""
	if flags.WebConfigFile != nil {
		file = *flags.WebConfigFile
	}
	mode, err := authMode(file)
	if err != nil || mode != "" {
		return mode, err
	}
	var addrs []string
	if flags.WebListenAddresses != nil {
		addrs = *flags.WebListenAddresses
	}
	systemd := flags.WebSystemdSocket != nil && *flags.WebSystemdSocket
	const need = "the webhook renews certificates and reloads servers on request, so it needs authentication: " +
		"give --web.config.file with basic_auth_users, or tls_server_config with client_auth_type: " + requireClientCert +
		" and a client_ca_file"
	switch bad := nonLoopback(addrs); {
	case systemd:
		return "", errors.New(need + " (with systemd sockets the listen addresses are unknown, so --webhook.allow-unauthenticated does not apply)")
	case bad != "":
		return "", fmt.Errorf("%s (--webhook.allow-unauthenticated applies only when every listen address is loopback, and %s is not)", need, bad)
	case !allowUnauthenticated:
		return "", errors.New(need + ", or --webhook.allow-unauthenticated to serve on loopback without it")
	}
	return "", nil
}

// nonLoopback returns the first address that is not on loopback only
// ("" when all are): a loopback IP or localhost, with a port.
func nonLoopback(addrs []string) string {
	if len(addrs) == 0 {
		return "(none given)"
	}
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		ip := net.ParseIP(host)
		if err != nil || !(host == "localhost" || ip != nil && ip.IsLoopback()) {
			return a
		}
	}
	return ""
}
