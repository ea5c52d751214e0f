package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if err := Write(p, []byte("one"), 0o644, Unchanged()); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o600, Unchanged()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil || string(data) != "two" {
		t.Fatalf("content %q, %v", data, err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestWriteNewReplacesLeftoverNotSymlinkTarget(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	staged := filepath.Join(dir, ".x.new")
	if err := os.Symlink(victim, staged); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(staged, []byte("new"), 0o600, Unchanged()); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(victim); string(data) != "keep" {
		t.Fatal("wrote through a symlink")
	}
	if fi, err := os.Lstat(staged); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("staged file: %v %v", fi, err)
	}
}

func TestWriteNewFailsInMissingFolder(t *testing.T) {
	if err := WriteNew(filepath.Join(t.TempDir(), "no", "x"), nil, 0o600, Unchanged()); err == nil {
		t.Fatal("no error")
	}
}
