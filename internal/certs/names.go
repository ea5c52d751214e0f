package certs

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"github.com/magflow/pgtls_exporter/internal/libpq"
	"strings"
)

// MatchName is libpq's verdict on whether cert names the host a client
// connects with (see libpq.MatchHost): through a SAN of the host's kind,
// an IP address held as a DNS SAN, the common name, or not at all.
func MatchName(cert *x509.Certificate, host string) libpq.HostMatch {
	m, _ := libpq.MatchHost(cert, host)
	return m
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

// IPAsDNSClients says who accepts an IP address held as a DNS SAN.
const IPAsDNSClients = "libpq (psql, psycopg, PgBouncer's server_tls) compares DNS SANs with the host as text and connects; " +
	"Go's crypto/tls (pgx, lib/pq, this exporter's probe) and rustls-based clients need an IP SAN and refuse it"
