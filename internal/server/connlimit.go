package server

import (
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// Connection limit defaults: half the open-file limit (files, database
// connections and the listener need the rest), at most this many.
const (
	maxConnectionsCeiling = 512
	minConnections        = 8
)

// DefaultMaxConnections is the connection limit for this process: half its
// open-file limit, between 8 and 512.
func DefaultMaxConnections() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur/2 > maxConnectionsCeiling {
		return maxConnectionsCeiling
	}
	return max(int(lim.Cur/2), minConnections)
}

// connLimiter bounds the HTTP connections open at once. It works through
// http.Server.ConnState, so it sees every connection whatever listener
// exporter-toolkit opened (TCP, systemd sockets, vsock) and before TLS.
// At the limit, a new connection closes the longest idle keep-alive
// connection and takes its place, so idle clients cannot starve a scrape;
// when none is idle it waits, holding the accept loop (the kernel queues
// further connections), until one closes. Request timeouts bound how long
// that takes.
type connLimiter struct {
	max  int
	mu   sync.Mutex
	cond *sync.Cond
	// idleSince holds the open connections; the time is when a
	// connection went idle, zero while it is new or active.
	idleSince map[net.Conn]time.Time
	stopped   bool
}

func newConnLimiter(limit int) *connLimiter {
	l := &connLimiter{max: limit, idleSince: map[net.Conn]time.Time{}}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// connState is the http.Server.ConnState hook.
func (l *connLimiter) connState(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateNew:
		for len(l.idleSince) >= l.max && !l.stopped {
			if idle := l.longestIdle(); idle != nil {
				delete(l.idleSince, idle) // its StateClosed follows
				_ = idle.Close()
				break
			}
			l.cond.Wait()
		}
		l.idleSince[c] = time.Time{}
	case http.StateActive:
		if _, open := l.idleSince[c]; open {
			l.idleSince[c] = time.Time{}
		}
	case http.StateIdle:
		if _, open := l.idleSince[c]; open {
			l.idleSince[c] = time.Now()
			l.cond.Broadcast() // a waiting new connection may take its place
		}
	case http.StateClosed, http.StateHijacked:
		delete(l.idleSince, c)
		l.cond.Broadcast()
	}
}

// longestIdle is the connection idle for the longest time, or nil.
func (l *connLimiter) longestIdle() net.Conn {
	var oldest net.Conn
	var since time.Time
	for c, t := range l.idleSince {
		if !t.IsZero() && (oldest == nil || t.Before(since)) {
			oldest, since = c, t
		}
	}
	return oldest
}

// open is the number of connections counted.
func (l *connLimiter) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.idleSince)
}

// stop lets a waiting accept loop go on, so the server can shut down.
func (l *connLimiter) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.cond.Broadcast()
}
