package testcerts

import (
	"os"
	"path/filepath"
	"testing"
)

// EntryFiles are the files WriteEntry wrote for one certificate entry.
type EntryFiles struct {
	Cert, Key, Combined string
	Issued              *Issued
}

// WriteEntry issues a certificate for name signed by parent and writes
// dir/NAME.crt (0644), dir/NAME.key (keyMode) and dir/NAME-combined.pem
// (0600), the reference layout.
func WriteEntry(tb testing.TB, dir, name string, parent *Issued, opts Options, keyMode os.FileMode) EntryFiles {
	tb.Helper()
	if opts.CommonName == "" {
		opts.CommonName = name
	}
	is := Issue(tb, parent, opts)
	return EntryFiles{
		Cert:     WriteFile(tb, filepath.Join(dir, name+".crt"), is.CertPEM, 0o644),
		Key:      WriteFile(tb, filepath.Join(dir, name+".key"), is.KeyPEM, keyMode),
		Combined: WriteFile(tb, filepath.Join(dir, name+"-combined.pem"), is.Combined(), 0o600),
		Issued:   is,
	}
}

// RequireRoot skips a test that needs root, or fails it when CI=true.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("this test needs root (chown to other users)")
	}
	tb.Skip("needs root")
}
