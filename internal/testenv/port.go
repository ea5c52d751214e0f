package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Port is a loopback TCP port held for one server of this process. It lies
// below the kernel's ephemeral range, so no outgoing connection is given it,
// and a file lock keeps every other process that uses this package from
// choosing it until Release (or until this process ends).
type Port struct {
	Number int
	lock   *os.File
}

// portLockDir holds one lock file per port in use by a test server.
func portLockDir() string { return filepath.Join(os.TempDir(), "pgtls-testenv-ports") }

// ReservePort picks a port that nothing listens on, outside the ephemeral
// range, and holds it until Release. A server started on it can still lose
// it to a process that does not use this package; StartPostgres and
// StartPgBouncer retry on "Address already in use" for that case.
func ReservePort() (*Port, error) {
	lo, hi := reservableRange()
	if err := os.MkdirAll(portLockDir(), 0o777); err != nil {
		return nil, fmt.Errorf("testenv: port lock folder: %w", err)
	}
	var lastErr error
	for range 200 {
		n := lo + rand.IntN(hi-lo)
		f, err := lockPort(n)
		if err != nil {
			lastErr = err
			continue
		}
		if err := bindable(n); err != nil {
			lastErr = err
			_ = f.Close()
			continue
		}
		return &Port{Number: n, lock: f}, nil
	}
	return nil, fmt.Errorf("testenv: no free loopback port in %d..%d: %w", lo, hi-1, lastErr)
}

// Release lets other processes use the port again. It is safe on nil.
func (p *Port) Release() {
	if p != nil && p.lock != nil {
		_ = p.lock.Close()
		p.lock = nil
	}
}

// lockPort takes the lock file of port n without waiting.
func lockPort(n int) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(portLockDir(), strconv.Itoa(n)+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("port %d lock: %w", n, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("port %d is held by another test process: %w", n, err)
	}
	return f, nil
}

// bindable reports whether 127.0.0.1:n can be bound right now.
func bindable(n int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(n)))
	if err != nil {
		return err
	}
	return l.Close()
}

// reservableRange returns [lo, hi): ports below the kernel's ephemeral
// range (net.ipv4.ip_local_port_range), or a fixed band when that range
// leaves no room below it.
func reservableRange() (lo, hi int) {
	const floor, fallbackLo, fallbackHi = 10000, 20000, 30000
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return fallbackLo, fallbackHi
	}
	fields := strings.Fields(string(data))
	if len(fields) < 1 {
		return fallbackLo, fallbackHi
	}
	ephemeralLo, err := strconv.Atoi(fields[0])
	if err != nil || ephemeralLo-floor < 1000 {
		return fallbackLo, fallbackHi
	}
	return floor, ephemeralLo
}

// AddrInUse reports whether a server's log or error says its port was
// taken, the one start failure that a new port cures.
func AddrInUse(text string) bool {
	return strings.Contains(strings.ToLower(text), "address already in use")
}
