package tlsscan

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// errRefused is a server's refusal of a hello: a TLS alert, or the
// connection closed before a ServerHello.
var errRefused = errors.New("refused")

// maxHandshakeMessage bounds the ServerHello a scan reads.
const maxHandshakeMessage = 1 << 16

// serverHello is what a scan learns from the server's answer to a hello.
type serverHello struct {
	version uint16 // the negotiated version (supported_versions for TLS 1.3)
	suite   uint16
	// group is, with TLS 1.3, the key share's group or the one a
	// HelloRetryRequest asks for; before, the ServerKeyExchange's curve.
	group uint16
	// certCurve is the group of the curve of an ECDSA server certificate
	// (before TLS 1.3), else 0.
	certCurve uint16
}

// readServerHello reads records until the ServerHello (or a
// HelloRetryRequest, which names version and suite as well) and returns
// it; errRefused, wrapped with the alert, when the server refuses. With
// keyExchange, for TLS 1.2 and older, it reads on to the ServerKeyExchange
// and adds the curve of an ECDSA certificate and the ECDHE group.
func readServerHello(r *bufio.Reader, keyExchange bool) (serverHello, error) {
	h := handshakeReader{r: r}
	typ, body, err := h.next()
	if err != nil {
		return serverHello{}, err
	}
	if typ != 2 {
		return serverHello{}, fmt.Errorf("expected a ServerHello, got handshake message %d", typ)
	}
	sh, err := parseServerHello(body)
	if err != nil || !keyExchange || sh.version == versionTLS13 {
		return sh, err
	}
	for {
		typ, body, err := h.next()
		switch {
		case err != nil:
			return serverHello{}, err
		case typ == 11: // Certificate
			sh.certCurve = certificateCurve(body)
		case typ == 12: // ServerKeyExchange: an ECDHE one starts with named_curve (3) and the group
			if len(body) >= 3 && body[0] == 3 {
				sh.group = binary.BigEndian.Uint16(body[1:])
			}
			return sh, nil
		case typ == 14: // ServerHelloDone
			return sh, nil
		}
	}
}

// handshakeReader reads handshake messages, which may span records or
// share one.
type handshakeReader struct {
	r   *bufio.Reader
	buf []byte
}

// next returns the next handshake message's type and body; errRefused,
// wrapped with the alert, when the server refuses.
func (h *handshakeReader) next() (byte, []byte, error) {
	for {
		if len(h.buf) >= 4 {
			n := int(h.buf[1])<<16 | int(h.buf[2])<<8 | int(h.buf[3])
			if len(h.buf) >= 4+n {
				typ, body := h.buf[0], h.buf[4:4+n]
				h.buf = h.buf[4+n:]
				return typ, body, nil
			}
		}
		typ, body, err := readRecord(h.r)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("%w: connection closed", errRefused)
		}
		if err != nil {
			return 0, nil, err
		}
		switch typ {
		case 21: // alert
			if len(body) >= 2 {
				return 0, nil, fmt.Errorf("%w: alert %d", errRefused, body[1])
			}
			return 0, nil, fmt.Errorf("%w: alert", errRefused)
		case 22: // handshake
			h.buf = append(h.buf, body...)
			if len(h.buf) > maxHandshakeMessage {
				return 0, nil, errors.New("handshake message too long")
			}
		default:
			return 0, nil, fmt.Errorf("unexpected TLS record type %d", typ)
		}
	}
}

// certificateCurve is the group of the curve of the ECDSA key in the
// first certificate of a Certificate message (TLS 1.2), 0 for any other.
func certificateCurve(body []byte) uint16 {
	if len(body) < 6 {
		return 0
	}
	n := int(body[3])<<16 | int(body[4])<<8 | int(body[5])
	if len(body) < 6+n {
		return 0
	}
	cert, err := x509.ParseCertificate(body[6 : 6+n])
	if err != nil {
		return 0
	}
	if key, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
		return curveGroup(key.Curve)
	}
	return 0
}

// readRecord reads one TLS record's type and body.
func readRecord(r *bufio.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	if hdr[1] != 3 {
		return 0, nil, fmt.Errorf("not a TLS record (version %d.%d)", hdr[1], hdr[2])
	}
	n := binary.BigEndian.Uint16(hdr[3:])
	if n > 1<<14+2048 {
		return 0, nil, fmt.Errorf("TLS record of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return hdr[0], body, nil
}

// parseServerHello reads the version, cipher suite and key share group of
// a ServerHello.
func parseServerHello(b []byte) (serverHello, error) {
	bad := errors.New("malformed ServerHello")
	if len(b) < 2+32+1 {
		return serverHello{}, bad
	}
	sh := serverHello{version: binary.BigEndian.Uint16(b)}
	b = b[34:]
	sid := int(b[0])
	if len(b) < 1+sid+3 {
		return serverHello{}, bad
	}
	b = b[1+sid:]
	sh.suite = binary.BigEndian.Uint16(b)
	b = b[3:] // suite and compression
	if len(b) < 2 {
		return sh, nil // no extensions
	}
	total := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if total > len(b) {
		return serverHello{}, bad
	}
	for b = b[:total]; len(b) >= 4; {
		id, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		if len(b) < 4+n {
			return serverHello{}, bad
		}
		if id == extSupportedVersions && n == 2 {
			sh.version = binary.BigEndian.Uint16(b[4:])
		}
		if id == extKeyShare && n >= 2 { // a share starts with its group; a retry request is only that
			sh.group = binary.BigEndian.Uint16(b[4:])
		}
		b = b[4+n:]
	}
	return sh, nil
}
