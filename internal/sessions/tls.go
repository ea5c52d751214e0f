package sessions

import (
	"errors"
	"fmt"
	"strings"
)

// Transport is how a connection reaches the server. Its value is the
// value of the ssl / tls label.
type Transport string

// Transports.
const (
	// TransportTLS is a TCP connection with TLS.
	TransportTLS Transport = "true"
	// TransportPlaintext is a TCP connection without TLS.
	TransportPlaintext Transport = "false"
	// TransportSocket is a Unix-domain socket connection: TLS does not
	// apply, so it is never a TLS failure.
	TransportSocket Transport = "socket"
)

// UnknownTLS is the version and cipher of a TLS connection whose details
// could not be read.
const UnknownTLS = "unknown"

// TLSInfo is what PgBouncer's tls column says about a connection.
type TLSInfo struct {
	// Version is the protocol, e.g. "TLSv1.3"; empty for no TLS.
	Version string
	// Cipher is the OpenSSL cipher name, e.g. "TLS_AES_256_GCM_SHA384".
	Cipher string
	// Extra are the parts after the cipher as printed: the key exchange
	// of server connections ("ECDH=prime256v1", "DH=2048") and an OCSP
	// status ("OCSP=good").
	Extra []string
}

// Encrypted reports whether the column described a TLS connection.
func (i TLSInfo) Encrypted() bool { return i.Version != "" }

// String puts the column back together.
func (i TLSInfo) String() string {
	if !i.Encrypted() {
		return ""
	}
	return strings.Join(append([]string{i.Version, i.Cipher}, i.Extra...), "/")
}

// maxTLSColumn bounds the column: PgBouncer prints it into 96 bytes.
const maxTLSColumn = 256

// ParsePgBouncerTLS parses the tls column of SHOW CLIENTS and SHOW SERVERS:
// "" for a connection without TLS, "TLSv1.3/TLS_AES_256_GCM_SHA384" for a
// client, "TLSv1.3/TLS_AES_256_GCM_SHA384/ECDH=prime256v1" for a server. It
// is pure and never panics; an error means the text is not of that form.
func ParsePgBouncerTLS(s string) (TLSInfo, error) {
	if s == "" {
		return TLSInfo{}, nil
	}
	if len(s) > maxTLSColumn {
		return TLSInfo{}, fmt.Errorf("tls column of %d bytes is too long", len(s))
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 {
		return TLSInfo{}, fmt.Errorf("tls column %q: want version/cipher", s)
	}
	for i, p := range parts {
		if p == "" {
			return TLSInfo{}, fmt.Errorf("tls column %q: part %d is empty", s, i+1)
		}
		for _, r := range p {
			if r <= ' ' || r > '~' {
				return TLSInfo{}, fmt.Errorf("tls column %q: part %d holds %q", s, i+1, r)
			}
		}
	}
	if err := checkVersion(parts[0]); err != nil {
		return TLSInfo{}, fmt.Errorf("tls column %q: %w", s, err)
	}
	info := TLSInfo{Version: parts[0], Cipher: parts[1]}
	if len(parts) > 2 {
		info.Extra = parts[2:]
	}
	return info, nil
}

// checkVersion accepts protocol names as OpenSSL and LibreSSL print them:
// SSLv3, TLSv1, TLSv1.2, TLSv1.3.
func checkVersion(v string) error {
	rest, ok := strings.CutPrefix(v, "TLSv")
	if !ok {
		rest, ok = strings.CutPrefix(v, "SSLv")
	}
	if !ok || rest == "" || strings.Trim(rest, "0123456789.") != "" {
		return errors.New("version " + fmt.Sprintf("%q", v) + " is not SSLv* or TLSv*")
	}
	return nil
}
