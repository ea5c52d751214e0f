package probe

import (
	"crypto/tls"
	"net"
)

// goodbye ends a probe's TLS session the way a well-behaved client does:
// a TLS close_notify, then the TCP FIN, sent together in one segment where
// the platform allows it (each segment costs both ends a wake-up); over
// TLS 1.3 the client's last handshake flight joins them. Checked
// with PostgreSQL 15 and PgBouncer 1.18: neither logs anything for it
// (beyond log_connections), whereas a TCP close without close_notify makes
// them log "could not receive data from client: Connection reset by peer"
// and "unexpected eof while reading", and a Terminate message before the
// startup packet makes PostgreSQL log "invalid length of startup packet".
// The connection stays open for reading the server's answer.
type goodbye struct {
	tc     *tls.Conn
	raw    net.Conn
	corked bool
}

// holdLastFlight holds back the writes that follow until say (or a close)
// sends them, so that a TLS 1.3 client's Finished leaves with the goodbye.
// It is called during the handshake, after the server's flight and before
// the client's answer to it.
func (g *goodbye) holdLastFlight() {
	if tcp, ok := g.raw.(*net.TCPConn); ok && !g.corked {
		cork(tcp)
		g.corked = true
	}
}

// say sends what is held back, close_notify and the FIN; it is called
// once, after a complete handshake.
func (g *goodbye) say() {
	g.holdLastFlight()    // the FIN below sends what is held, at once
	_ = g.tc.CloseWrite() // close_notify
	if tcp, ok := g.raw.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
}
