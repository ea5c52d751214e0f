package certs

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"net"
	"strings"
)

// Covers reports whether cert's subject alternative names cover name: an IP
// address must be among the IP SANs; a DNS name must match a DNS SAN,
// wildcards included. The subject common name does not count, as in modern
// TLS clients.
func Covers(cert *x509.Certificate, name string) bool {
	if ip := net.ParseIP(name); ip != nil {
		for _, san := range cert.IPAddresses {
			if san.Equal(ip) {
				return true
			}
		}
		return false
	}
	return cert.VerifyHostname(name) == nil
}

// SANs lists a certificate's DNS and IP subject alternative names in the
// "DNS:x,IP:y" notation that openssl uses.
func SANs(cert *x509.Certificate) string {
	parts := make([]string, 0, len(cert.DNSNames)+len(cert.IPAddresses))
	for _, d := range cert.DNSNames {
		parts = append(parts, "DNS:"+d)
	}
	for _, ip := range cert.IPAddresses {
		parts = append(parts, "IP:"+ip.String())
	}
	return strings.Join(parts, ",")
}

// Fingerprint is the lowercase hex SHA-256 of the certificate's DER bytes.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// Serial is the certificate's serial number in lowercase hex, as
// `openssl x509 -serial` prints it (without colons).
func Serial(cert *x509.Certificate) string {
	s := strings.ToLower(cert.SerialNumber.Text(16))
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

// CommonNameClients says who accepts a certificate that names a server
// only in its subject common name, for findings.
const CommonNameClients = "libpq (psql, psycopg, PgBouncer's server_tls) and pgjdbc accept it through the common name; " +
	"Go's crypto/tls (pgx, lib/pq) and rustls-based clients refuse it: no subject alternative name"

// CoversByCommonName reports whether libpq's verify-full accepts cert for
// name through the subject common name alone: the SANs do not cover name,
// none of them is of name's kind (DNS name or IP address), so libpq falls
// back to the common name, and the common name matches name (case
// insensitively, a leading "*." standing for one label). Clients that read
// only the SANs refuse such a certificate; see CommonNameClients.
func CoversByCommonName(cert *x509.Certificate, name string) bool {
	if Covers(cert, name) {
		return false
	}
	if net.ParseIP(name) != nil {
		if len(cert.IPAddresses) > 0 {
			return false
		}
	} else if len(cert.DNSNames) > 0 {
		return false
	}
	cn := cert.Subject.CommonName
	if strings.EqualFold(cn, name) {
		return cn != ""
	}
	suffix, wildcard := strings.CutPrefix(cn, "*")
	if !wildcard || !strings.HasPrefix(suffix, ".") || len(name) <= len(suffix) {
		return false
	}
	label := name[:len(name)-len(suffix)]
	return !strings.Contains(label, ".") && strings.EqualFold(name[len(label):], suffix)
}
