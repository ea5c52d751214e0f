package testpeer

import (
	"net"
	"sync/atomic"
)

// DropAfter runs handle for the first n connections and closes every later
// one at once, without reading or writing: a server that goes away in the
// middle of a client's work.
func DropAfter(n int, handle func(net.Conn)) func(net.Conn) {
	var seen atomic.Int64
	return func(c net.Conn) {
		if seen.Add(1) <= int64(n) {
			handle(c)
		}
	}
}
