package certs

import (
	"fmt"
	"strings"

	"github.com/magflow/pgtls_exporter/internal/regfile"
)

// ReadPasswordFile reads the password a password_file holds, for every
// command that connects with one (session sources, SQL reloads, a CA
// rotation's link check). The file must be a regular file of at most
// regfile.MaxSmall bytes (symlinks are followed; a FIFO or device is
// refused without blocking); trailing newlines ("\n", "\r\n") are not
// part of the password. An empty password is refused with an error naming
// the file: connecting without one would fail later in a less clear way.
// Errors never quote the password.
func ReadPasswordFile(path string) (string, error) {
	data, err := regfile.Read(path, regfile.MaxSmall)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	pw := strings.TrimRight(string(data), "\r\n")
	clear(data)
	if pw == "" {
		return "", fmt.Errorf("password file %s is empty", path)
	}
	return pw, nil
}
