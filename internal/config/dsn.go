package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DSN is a libpq connection string, keyword/value ("host=db user=monitor")
// or URL ("postgres://monitor@db/magflow"). It may hold a password: String,
// GoString and the YAML and JSON encodings show it with every password
// masked, so printing a configuration never reveals one. Use Value for the
// string itself.
type DSN string

// redactedMask replaces passwords in printed DSNs.
const redactedMask = "xxxxx"

// Value returns the connection string as configured, password included.
func (d DSN) Value() string { return string(d) }

// String returns the DSN with its passwords masked.
func (d DSN) String() string { return RedactDSN(string(d)) }

// GoString is String, so %#v does not print the password either.
func (d DSN) GoString() string { return fmt.Sprintf("config.DSN(%q)", d.String()) }

// MarshalYAML writes the masked DSN.
func (d DSN) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the masked DSN.
func (d DSN) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// RedactDSN returns the connection string with the values of password and
// sslpassword, and a URL's userinfo password, replaced by "xxxxx". A string
// that does not parse as a DSN is replaced as a whole.
func RedactDSN(s string) string {
	p, err := parseDSN(s)
	if err != nil {
		return "<unparsable DSN>"
	}
	return p.format(true)
}

// isSecretKey reports whether a DSN key's value is a secret.
func isSecretKey(k string) bool { return k == "password" || k == "sslpassword" }

// isFileKey reports whether a DSN key names a file that is resolved against
// the configuration folder and that pgx reads while parsing.
func isFileKey(k string) bool { return k == "sslrootcert" || k == "sslcert" || k == "sslkey" }

type dsnParam struct{ key, value string }

// parsedDSN is a connection string split into its parameters, enough to
// mask secrets and rewrite file paths and to put the string back together.
type parsedDSN struct {
	isURL    bool
	base     string // URL: everything before '?', userinfo password removed
	password string // URL: userinfo password (decoded)
	hasPass  bool   // URL: userinfo has a password
	params   []dsnParam
}

// parseDSN splits s following libpq's (and pgconn's) rules.
func parseDSN(s string) (*parsedDSN, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, errors.New("NUL byte in connection string")
	}
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return parseURLDSN(s)
	}
	p := &parsedDSN{}
	const space = " \t\n\r\v\f"
	s = strings.TrimLeft(s, space)
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, errors.New(`missing "=" in keyword/value connection string`)
		}
		key := strings.Trim(s[:eq], space)
		if key == "" || strings.ContainsAny(key, space) {
			// The text is not echoed: a malformed string may put a password here.
			return nil, fmt.Errorf("invalid keyword in connection string (parameter %d)", len(p.params)+1)
		}
		s = strings.TrimLeft(s[eq+1:], space)
		var raw strings.Builder
		if len(s) > 0 && s[0] == '\'' {
			i := 1
			for ; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' {
					i++
					if i == len(s) {
						break
					}
				}
				raw.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated quoted value in connection string (parameter %d)", len(p.params)+1)
			}
			s = s[i+1:]
		} else {
			i := 0
			for ; i < len(s) && !strings.ContainsRune(space, rune(s[i])); i++ {
				if s[i] == '\\' {
					i++
					if i == len(s) {
						break
					}
				}
				raw.WriteByte(s[i])
			}
			s = s[min(i, len(s)):]
		}
		s = strings.TrimLeft(s, space)
		p.params = append(p.params, dsnParam{key: key, value: raw.String()})
	}
	return p, nil
}

func parseURLDSN(s string) (*parsedDSN, error) {
	p := &parsedDSN{isURL: true}
	base, query, _ := strings.Cut(s, "?")
	scheme, rest, _ := strings.Cut(base, "://")
	// The authority ends at the first '/'; within it the userinfo ends at the
	// last '@', as url.Parse and pgx read it (a password may hold '@').
	authority := rest
	if slash := strings.IndexByte(rest, '/'); slash >= 0 {
		authority = rest[:slash]
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, pass, ok := strings.Cut(rest[:at], ":")
		if ok {
			dec, err := url.PathUnescape(pass)
			if err != nil {
				return nil, errors.New("invalid percent-encoding in the URL's password")
			}
			p.password, p.hasPass = dec, true
		}
		rest = user + rest[at:]
	}
	p.base = scheme + "://" + rest
	if query != "" {
		for _, part := range strings.Split(query, "&") {
			if part == "" {
				continue
			}
			k, v, _ := strings.Cut(part, "=")
			key, err1 := url.QueryUnescape(k)
			val, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("invalid percent-encoding in URL parameter %d", len(p.params)+1)
			}
			p.params = append(p.params, dsnParam{key: key, value: val})
		}
	}
	return p, nil
}

// get returns the last value of key (later values win, as in pgconn).
func (p *parsedDSN) get(key string) (string, bool) {
	for i := len(p.params) - 1; i >= 0; i-- {
		if p.params[i].key == key {
			return p.params[i].value, true
		}
	}
	return "", false
}

// secrets returns the non-empty password values.
func (p *parsedDSN) secrets() []string {
	var out []string
	if p.hasPass && p.password != "" {
		out = append(out, p.password)
	}
	for _, kv := range p.params {
		if isSecretKey(kv.key) && kv.value != "" {
			out = append(out, kv.value)
		}
	}
	return out
}

// format puts the connection string back together, masking secrets when
// asked.
func (p *parsedDSN) format(redact bool) string {
	val := func(kv dsnParam) string {
		if redact && isSecretKey(kv.key) {
			return redactedMask
		}
		return kv.value
	}
	var b strings.Builder
	if p.isURL {
		base := p.base
		if p.hasPass {
			pass := strings.TrimPrefix(url.UserPassword("u", p.password).String(), "u:")
			if redact {
				pass = redactedMask
			}
			scheme, rest, _ := strings.Cut(base, "://")
			at := strings.IndexByte(rest, '@')
			base = scheme + "://" + rest[:at] + ":" + pass + rest[at:]
		}
		b.WriteString(base)
		for i, kv := range p.params {
			b.WriteByte("?&"[min(i, 1)])
			b.WriteString(url.QueryEscape(kv.key) + "=" + url.QueryEscape(val(kv)))
		}
		return b.String()
	}
	for i, kv := range p.params {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(kv.key + "='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(val(kv)) + "'")
	}
	return b.String()
}

// ResolveDSN returns the DSN with relative sslrootcert, sslcert and sslkey
// paths joined to the configuration file's folder, ready for pgx.
// sslrootcert=system stays as it is.
func (c *Config) ResolveDSN(d DSN) (string, error) {
	p, err := parseDSN(d.Value())
	if err != nil {
		return "", err
	}
	changed := false
	for i, kv := range p.params {
		if !isFileKey(kv.key) || kv.value == "" || (kv.key == "sslrootcert" && kv.value == "system") {
			continue
		}
		if r := c.Resolve(kv.value); r != kv.value {
			p.params[i].value, changed = r, true
		}
	}
	if !changed {
		return d.Value(), nil
	}
	return p.format(false), nil
}

// ClientCertFile is the client certificate a DSN names (sslcert),
// resolved against the configuration folder; "" when it names none or
// does not parse.
func (c *Config) ClientCertFile(d DSN) string {
	p, err := parseDSN(d.Value())
	if err != nil {
		return ""
	}
	v, _ := p.get("sslcert")
	return c.Resolve(v)
}

// withoutFileKeys returns the connection string without the keys naming
// files, so that it can be checked without reading them.
func (p *parsedDSN) withoutFileKeys() string {
	q := *p
	q.params = nil
	for _, kv := range p.params {
		if !isFileKey(kv.key) {
			q.params = append(q.params, kv)
		}
	}
	return q.format(false)
}

// Local reports whether the DSN's first host is this machine: a Unix
// socket folder, localhost or a loopback address. A DSN that does not
// parse is not local.
func (d DSN) Local() bool {
	p, err := parseDSN(d.Value())
	if err != nil {
		return false
	}
	cc, err := pgx.ParseConfig(p.withoutFileKeys())
	if err != nil {
		return false
	}
	host := cc.Host
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return strings.HasPrefix(host, "/") || host == "localhost"
}
