package rules

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/magflow/pgtls_exporter/probe"
)

func TestProbeCode(t *testing.T) {
	dnsErr := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "db.invalid", IsNotFound: true}}
	tests := []struct {
		err   error
		code  Code
		phase string
	}{
		{&probe.Error{Phase: probe.PhaseDial, Err: dnsErr}, DialFailed, "dial"},
		{&probe.Error{Phase: probe.PhaseDial, Err: fmt.Errorf("connect: %w", syscall.ECONNREFUSED)}, ConnectionRefused, "dial"},
		{&probe.Error{Phase: probe.PhaseSSLReply, Err: fmt.Errorf("%w after 3s", probe.ErrTimeout)}, Timeout, "sslrequest_reply"},
		{&probe.Error{Phase: probe.PhaseHandshake, Err: errors.New("tls: internal error")}, HandshakeFailed, "handshake"},
		{&probe.Error{Phase: probe.PhaseDial, Err: probe.ErrInvalidOptions}, ProbeMisconfigured, "dial"},
		{errors.New("load client certificate client.crt: no such file"), ProbeMisconfigured, "config"},
	}
	for _, tt := range tests {
		if got := ProbeCode(tt.err); got != tt.code {
			t.Errorf("ProbeCode(%v) = %s, want %s", tt.err, got, tt.code)
		}
		if got := ProbePhase(tt.err); got != tt.phase {
			t.Errorf("ProbePhase(%v) = %s, want %s", tt.err, got, tt.phase)
		}
	}
}
