package probe

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"

	"github.com/magflow/pgtls_exporter/internal/certs"
)

// Go's crypto/tls offers no signature algorithm for Ed448 or RSA-PSS
// (rsa_pss_pss_*) keys, so a server with such a key ends the handshake with
// a handshake_failure alert before sending its certificate, although libpq
// (OpenSSL) connects. To tell that from a broken server, the probe asks
// again with a TLS 1.2 ClientHello of its own that offers those algorithms:
// a TLS 1.2 server sends its certificate in the clear, so its key type can
// be read before the connection is dropped.

// maxDiagnosisBytes bounds what is read from the server while diagnosing.
const maxDiagnosisBytes = 256 << 10

// TLS constants of the diagnostic ClientHello.
const (
	recordHandshake   = 22
	recordAlert       = 21
	msgClientHello    = 1
	msgCertificate    = 11
	msgServerHelloEnd = 14
)

// unsupportedServerKey connects again and names the served leaf's key
// algorithm when Go's TLS cannot use it ("Ed448", "RSA-PSS"); "" when it
// can, or when the server does not tell (TLS 1.3 only, no answer).
func unsupportedServerKey(ctx context.Context, opts Options, serverName string, negotiation Negotiation) string {
	dialer := opts.Dialer
	if dialer == nil {
		dialer = &net.Dialer{}
	}
	conn, err := dialer.DialContext(ctx, "tcp", opts.Address)
	if err != nil {
		return ""
	}
	defer conn.Close()
	defer closeOnDone(ctx, conn)()
	deadline, _ := ctx.Deadline()
	if conn.SetDeadline(deadline) != nil {
		return ""
	}
	if negotiation == NegotiationPostgres {
		if _, err := RequestSSL(conn, deadline); err != nil {
			return ""
		}
	}
	if _, err := conn.Write(clientHello12(serverName)); err != nil {
		return ""
	}
	leaf, err := readServerCertificate(conn)
	if err != nil || leaf == nil {
		return ""
	}
	return certs.UnsupportedCertificateKey(leaf)
}

// clientHello12 is a TLS 1.2 ClientHello record that offers ECDHE suites
// for ECDSA (EdDSA too) and RSA keys and every signature algorithm of
// RFC 8446, ed448 and rsa_pss_pss_* included.
func clientHello12(serverName string) []byte {
	var body []byte
	body = append(body, 3, 3) // TLS 1.2
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	body = append(body, random...)
	body = append(body, 0) // no session id
	suites := []uint16{0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca9, 0xcca8, 0xc023, 0xc027, 0x009e, 0x009f}
	body = appendU16List(body, suites)
	body = append(body, 1, 0) // null compression

	var ext []byte
	if serverName != "" && net.ParseIP(serverName) == nil {
		name := append([]byte{0}, u16(len(serverName))...)
		name = append(name, serverName...)
		ext = appendExtension(ext, 0x0000, append(u16(len(name)), name...))
	}
	ext = appendExtension(ext, 0x000a, appendU16List(nil, []uint16{0x001d, 0x0017, 0x0018, 0x0019, 0x001e})) // groups
	ext = appendExtension(ext, 0x000b, []byte{1, 0})                                                         // uncompressed points
	ext = appendExtension(ext, 0x000d, appendU16List(nil, []uint16{                                          // signature algorithms
		0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806,
		0x0403, 0x0503, 0x0603, 0x0401, 0x0501, 0x0601, 0x0201, 0x0203}))
	alpn := append([]byte{byte(len(alpnProtocol))}, alpnProtocol...)
	ext = appendExtension(ext, 0x0010, append(u16(len(alpn)), alpn...))
	ext = appendExtension(ext, 0x0017, nil)       // extended master secret
	ext = appendExtension(ext, 0xff01, []byte{0}) // renegotiation info
	body = append(body, u16(len(ext))...)
	body = append(body, ext...)

	msg := append([]byte{msgClientHello, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{recordHandshake, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

func u16(n int) []byte { return []byte{byte(n >> 8), byte(n)} }

func appendU16List(b []byte, list []uint16) []byte {
	b = append(b, u16(2*len(list))...)
	for _, v := range list {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

func appendExtension(b []byte, typ uint16, data []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, typ)
	b = append(b, u16(len(data))...)
	return append(b, data...)
}

// readServerCertificate reads the server's first flight and returns the
// leaf of its Certificate message; nil when the server sends an alert or
// ends its flight without one.
func readServerCertificate(r io.Reader) (*x509.Certificate, error) {
	var msgs []byte
	total := 0
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, err
		}
		n := int(binary.BigEndian.Uint16(hdr[3:]))
		if total += 5 + n; total > maxDiagnosisBytes {
			return nil, errors.New("server flight too large")
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, err
		}
		switch hdr[0] {
		case recordAlert:
			return nil, nil
		case recordHandshake:
			msgs = append(msgs, payload...)
		default:
			return nil, errors.New("unexpected record")
		}
		for len(msgs) >= 4 {
			size := int(msgs[1])<<16 | int(msgs[2])<<8 | int(msgs[3])
			if len(msgs) < 4+size {
				break
			}
			typ, body := msgs[0], msgs[4:4+size]
			msgs = msgs[4+size:]
			switch typ {
			case msgCertificate:
				return firstCertificate(body)
			case msgServerHelloEnd:
				return nil, nil
			}
		}
	}
}

// firstCertificate parses the leaf of a TLS 1.2 Certificate message body.
func firstCertificate(body []byte) (*x509.Certificate, error) {
	if len(body) < 6 {
		return nil, errors.New("short Certificate message")
	}
	size := int(body[3])<<16 | int(body[4])<<8 | int(body[5])
	if len(body) < 6+size {
		return nil, errors.New("short Certificate message")
	}
	return x509.ParseCertificate(body[6 : 6+size])
}
