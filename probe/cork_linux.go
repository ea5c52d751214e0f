package probe

import (
	"net"

	"golang.org/x/sys/unix"
)

// cork holds back the connection's next writes until the FIN that follows
// them (TCP_CORK), so that they leave in one segment; a shutdown pushes
// corked data out at once.
func cork(c *net.TCPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_CORK, 1) })
}
