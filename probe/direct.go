package probe

import "fmt"

// alpnProtocol is the ALPN protocol name PostgreSQL registered with IANA.
// PostgreSQL 17+ and PgBouncer 1.25+ refuse direct TLS without it.
const alpnProtocol = "postgresql"

// checkALPN fails a direct TLS session unless the server agreed on ALPN
// "postgresql": a server that ignores ALPN does not speak PostgreSQL's direct
// TLS, and PostgreSQL itself drops such sessions.
func checkALPN(negotiated string) error {
	if negotiated == alpnProtocol {
		return nil
	}
	if negotiated == "" {
		return fmt.Errorf("%w: the server chose no ALPN protocol (it does not support direct TLS: use negotiation postgres, or PostgreSQL 17+ / PgBouncer 1.25+)", ErrALPNNotNegotiated)
	}
	return fmt.Errorf("%w: the server chose %q", ErrALPNNotNegotiated, negotiated)
}
