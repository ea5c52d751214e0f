package config

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
)

// DefaultProbeTimeout bounds one probe when neither the target nor the
// probe section sets a timeout.
const DefaultProbeTimeout = 5 * time.Second

// Target is a server whose TLS handshake is probed live.
type Target struct {
	// Name labels the target in metrics and findings.
	Name string `yaml:"name"`
	// Address is host:port.
	Address string `yaml:"address"`
	// ServerName is checked against the served certificate (verify-full);
	// empty means the host part of Address.
	ServerName string `yaml:"server_name"`
	// Certificate names the certificates entry whose file the server should
	// serve; empty means no drift check.
	Certificate string `yaml:"certificate"`
	// Negotiation is "postgres" (SSLRequest) or "direct" (TLS with ALPN).
	Negotiation Negotiation `yaml:"negotiation"`
	// Timeout bounds one probe of this target; zero means probe.timeout.
	Timeout model.Duration `yaml:"timeout"`
	// ClientCert and ClientKey are presented when the server asks for a
	// client certificate (optional, both or neither).
	ClientCert string `yaml:"client_cert"`
	ClientKey  string `yaml:"client_key"`
}

// ProbeSettings apply to every probe and to the /probe endpoint.
type ProbeSettings struct {
	// Timeout is the default per-probe timeout.
	Timeout model.Duration `yaml:"timeout"`
	// AllowUnlistedTargets lets /probe reach any host:port, not only
	// configured targets. Off by default.
	AllowUnlistedTargets bool `yaml:"allow_unlisted_targets"`
}

// TargetTimeout is the timeout of one probe of t.
func (c *Config) TargetTimeout(t Target) time.Duration {
	switch {
	case t.Timeout > 0:
		return time.Duration(t.Timeout)
	case c.Probe.Timeout > 0:
		return time.Duration(c.Probe.Timeout)
	}
	return DefaultProbeTimeout
}

// TargetByName returns the target with that name, or, failing that, the
// first whose address is key.
func (c *Config) TargetByName(key string) (Target, bool) {
	for _, t := range c.Targets {
		if t.Name == key {
			return t, true
		}
	}
	for _, t := range c.Targets {
		if t.Address == key {
			return t, true
		}
	}
	return Target{}, false
}

// CheckAddress accepts host:port with a port in 1..65535.
func CheckAddress(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("%q: port %q is not a number in 1..65535", addr, port)
	}
	return nil
}

func (c *Config) validateTargets(add func(path, format string, args ...any)) {
	seen := map[string]int{}
	for i, t := range c.Targets {
		p := fmt.Sprintf("targets[%d]", i)
		switch {
		case t.Name == "":
			add(p+".name", "is required")
		case !validName.MatchString(t.Name):
			add(p+".name", "%q may hold only letters, digits, '_', '.' and '-'", t.Name)
		default:
			if j, dup := seen[t.Name]; dup {
				add(p+".name", "%q is already used by targets[%d]", t.Name, j)
			}
			seen[t.Name] = i
		}
		if err := CheckAddress(t.Address); err != nil {
			add(p+".address", "%v", err)
		}
		if t.ServerName != "" {
			if err := checkExpectedName(t.ServerName); err != nil {
				add(p+".server_name", "%v", err)
			}
		}
		if t.Certificate != "" {
			if _, ok := c.CertificateByName(t.Certificate); !ok {
				add(p+".certificate", "%q is not the name of a certificates entry", t.Certificate)
			}
		}
		if t.Negotiation != "" && !t.Negotiation.Valid() {
			add(p+".negotiation", "%q is not one of %v", t.Negotiation, Negotiations())
		}
		if t.Timeout < 0 {
			add(p+".timeout", "must not be negative")
		}
		if (t.ClientCert == "") != (t.ClientKey == "") {
			add(p+".client_cert", "client_cert and client_key go together")
		}
	}
	if c.Probe.Timeout < 0 {
		add("probe.timeout", "must not be negative")
	}
}

// Negotiation is how a target is asked for TLS: NegotiationPostgres (the
// default) or NegotiationDirect.
type Negotiation string

// The negotiations a target may name; Negotiations lists them.
const (
	// NegotiationPostgres sends PostgreSQL's SSLRequest first; every
	// PostgreSQL and PgBouncer understands it.
	NegotiationPostgres Negotiation = "postgres"
	// NegotiationDirect starts TLS at once with ALPN "postgresql"
	// (PostgreSQL 17+, PgBouncer 1.25+).
	NegotiationDirect Negotiation = "direct"
)

// Negotiations lists every negotiation, the default first.
func Negotiations() []Negotiation { return []Negotiation{NegotiationPostgres, NegotiationDirect} }

// Valid reports whether n is one of Negotiations.
func (n Negotiation) Valid() bool { return slices.Contains(Negotiations(), n) }
