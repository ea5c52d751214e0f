//go:build !linux

package probe

import "net"

// cork does nothing where TCP_CORK is not available: close_notify and the
// FIN leave in two segments.
func cork(*net.TCPConn) {}
