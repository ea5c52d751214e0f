package config

// DefaultSecurityLevel is the OpenSSL security level libpq's clients get on
// Debian 12 (openssl.cnf: CipherString DEFAULT@SECLEVEL=2).
const DefaultSecurityLevel = 2

// Verify is how chains are judged: as libpq's clients on OpenSSL do.
type Verify struct {
	// SecurityLevel is OpenSSL's security level of the clients (0 to 5):
	// keys and signature digests weaker than it fail verification. Nil:
	// DefaultSecurityLevel; 1 for clients on older OpenSSL settings.
	SecurityLevel *int `yaml:"security_level"`
}

// SecurityLevel is the OpenSSL security level verify-full is judged at.
func (c *Config) SecurityLevel() int {
	if c.Verify.SecurityLevel == nil {
		return DefaultSecurityLevel
	}
	return *c.Verify.SecurityLevel
}

func (c *Config) validateVerify(add func(path, format string, args ...any)) {
	if l := c.Verify.SecurityLevel; l != nil && (*l < 0 || *l > 5) {
		add("verify.security_level", "must be an OpenSSL security level from 0 to 5, got %d", *l)
	}
}
