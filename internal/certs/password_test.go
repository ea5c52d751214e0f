package certs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadPasswordFile: trailing newlines are not part of the password; an
// empty password is refused, naming the file.
func TestReadPasswordFile(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		"secret":        "secret",
		"secret\n":      "secret",
		"secret\r\n\n":  "secret",
		" spaced pw \n": " spaced pw ",
		"two\nlines\n":  "two\nlines",
		"":              "",
		"\n":            "",
		"\r\n\r\n":      "",
	} {
		path := filepath.Join(dir, "pw")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadPasswordFile(path)
		if want == "" {
			if err == nil || err.Error() != "password file "+path+" is empty" {
				t.Errorf("%q: %q, %v; want the empty-file error", content, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", content, got, err, want)
		}
	}
	missing := filepath.Join(dir, "missing")
	if _, err := ReadPasswordFile(missing); err == nil || err.Error() != "read password file: open "+missing+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}
