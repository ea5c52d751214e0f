package tlsscan

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"

	"github.com/magflow/pgtls_exporter/internal/ciphers"
)

// TLS extension numbers a scan's ClientHello uses.
const (
	extServerName          = 0
	extSupportedGroups     = 10
	extECPointFormats      = 11
	extSignatureAlgorithms = 13
	extSupportedVersions   = 43
	extKeyShare            = 51
)

// offeredGroups are the named groups the hellos for versions and suites
// offer: X25519 and the NIST curves, then finite-field groups, as OpenSSL
// servers know them.
func offeredGroups() []uint16 { return []uint16{0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101} }

// offeredSignatures are the signature algorithms offered, SHA-1 ones
// included, so that servers on any key still answer.
func offeredSignatures() []uint16 {
	return []uint16{0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
		0x0303, 0x0203, 0x0301, 0x0201, 0x0402, 0x0202}
}

// clientHello writes a TLS record holding a ClientHello for version v that
// offers suites and the named groups, and, for TLS 1.3, a key share for the
// first group when crypto/ecdh has it (none otherwise, which asks a server
// supporting the group for a HelloRetryRequest). serverName is sent as SNI
// unless it is an IP address.
func clientHello(v uint16, suites []ciphers.Suite, groups []uint16, serverName string) ([]byte, error) {
	random := make([]byte, 32)
	if _, err := rand.Read(random); err != nil {
		return nil, fmt.Errorf("client random: %w", err)
	}
	legacy := min(v, versionTLS12)
	var body []byte
	body = binary.BigEndian.AppendUint16(body, legacy)
	body = append(body, random...)
	sessionID := make([]byte, 32) // a TLS 1.3 middlebox-compatible hello carries one
	if _, err := rand.Read(sessionID); err != nil {
		return nil, fmt.Errorf("session id: %w", err)
	}
	if v == versionTLS13 {
		body = append(body, byte(len(sessionID)))
		body = append(body, sessionID...)
	} else {
		body = append(body, 0)
	}
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(suites)+2))
	for _, s := range suites {
		body = binary.BigEndian.AppendUint16(body, s.ID)
	}
	body = binary.BigEndian.AppendUint16(body, 0x00ff) // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
	body = append(body, 1, 0)                          // compression: null only

	var exts []byte
	if serverName != "" && net.ParseIP(serverName) == nil {
		name := []byte(serverName)
		e := binary.BigEndian.AppendUint16(nil, uint16(len(name)+3))
		e = append(e, 0)
		e = binary.BigEndian.AppendUint16(e, uint16(len(name)))
		exts = extension(exts, extServerName, append(e, name...))
	}
	if v >= versionTLS10 {
		list := binary.BigEndian.AppendUint16(nil, uint16(2*len(groups)))
		for _, g := range groups {
			list = binary.BigEndian.AppendUint16(list, g)
		}
		exts = extension(exts, extSupportedGroups, list)
		exts = extension(exts, extECPointFormats, []byte{1, 0})
	}
	if v >= versionTLS12 {
		offered := offeredSignatures()
		sigs := binary.BigEndian.AppendUint16(nil, uint16(2*len(offered)))
		for _, s := range offered {
			sigs = binary.BigEndian.AppendUint16(sigs, s)
		}
		exts = extension(exts, extSignatureAlgorithms, sigs)
	}
	if v == versionTLS13 {
		exts = extension(exts, extSupportedVersions, []byte{2, 0x03, 0x04})
		share, err := keyShare(groups)
		if err != nil {
			return nil, err
		}
		exts = extension(exts, extKeyShare, share)
	}
	if v >= versionTLS10 {
		body = binary.BigEndian.AppendUint16(body, uint16(len(exts)))
		body = append(body, exts...)
	}

	msg := []byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	msg = append(msg, body...)
	record := []byte{22}
	record = binary.BigEndian.AppendUint16(record, min(legacy, versionTLS10))
	record = binary.BigEndian.AppendUint16(record, uint16(len(msg)))
	return append(record, msg...), nil
}

// keyShare is the data of a key_share extension: one share for the first
// of groups if crypto/ecdh has its curve, else an empty list.
func keyShare(groups []uint16) ([]byte, error) {
	if len(groups) == 0 || ecdhCurve(groups[0]) == nil {
		return []byte{0, 0}, nil
	}
	key, err := ecdhCurve(groups[0]).GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("key share: %w", err)
	}
	pub := key.PublicKey().Bytes()
	share := binary.BigEndian.AppendUint16(nil, uint16(len(pub)+4))
	share = binary.BigEndian.AppendUint16(share, groups[0])
	share = binary.BigEndian.AppendUint16(share, uint16(len(pub)))
	return append(share, pub...), nil
}

// extension appends one extension: its number, length and data.
func extension(b []byte, id uint16, data []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, id)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}
