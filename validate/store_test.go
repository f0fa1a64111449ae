package validate

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/tally-rpki/tally/cache"
)

func TestDirStoreRefusesEscapes(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &DirStore{FreshDir: filepath.Join(dir, "fresh"), ValidDir: filepath.Join(dir, "valid")}
	for _, uri := range []string{
		"rsync://host/../secret",
		"rsync://host/a//b.roa",
		"rsync://host/./b.roa",
		"rsync://../secret",
		"file:///etc/passwd",
	} {
		if _, err := s.Fresh(uri); !errors.Is(err, cache.ErrBadURI) {
			t.Errorf("Fresh(%q): %v, want ErrBadURI", uri, err)
		}
	}
	if _, err := s.Valid("rsync://host/repo/missing.roa"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Valid of a missing file: %v, want fs.ErrNotExist", err)
	}
}
