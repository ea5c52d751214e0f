package tlsscan

import (
	"bufio"
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
}

// readServerHello reads records until the ServerHello (or a
// HelloRetryRequest, which names version and suite as well) and returns
// it; errRefused, wrapped with the alert, when the server refuses.
func readServerHello(r *bufio.Reader) (serverHello, error) {
	var msg []byte
	for {
		typ, body, err := readRecord(r)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return serverHello{}, fmt.Errorf("%w: connection closed", errRefused)
		}
		if err != nil {
			return serverHello{}, err
		}
		switch typ {
		case 21: // alert
			if len(body) >= 2 {
				return serverHello{}, fmt.Errorf("%w: alert %d", errRefused, body[1])
			}
			return serverHello{}, fmt.Errorf("%w: alert", errRefused)
		case 22: // handshake
			msg = append(msg, body...)
			if len(msg) > maxHandshakeMessage {
				return serverHello{}, errors.New("handshake message too long")
			}
			if len(msg) < 4 {
				continue
			}
			n := int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3])
			if len(msg) < 4+n {
				continue
			}
			if msg[0] != 2 {
				return serverHello{}, fmt.Errorf("expected a ServerHello, got handshake message %d", msg[0])
			}
			return parseServerHello(msg[4 : 4+n])
		default:
			return serverHello{}, fmt.Errorf("unexpected TLS record type %d", typ)
		}
	}
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

// parseServerHello reads the version and cipher suite of a ServerHello.
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
		b = b[4+n:]
	}
	return sh, nil
}
