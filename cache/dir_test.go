package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A Dir reads the files directly in it by name, refuses names that are
// not one plain component and symbolic links, and lists its regular
// files, sorted, as often as asked.
func TestDir(t *testing.T) {
	for _, noOpenat2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "openat2", true: "os.Root"}[noOpenat2], func(t *testing.T) {
			testDir(t, noOpenat2)
		})
	}
}

func testDir(t *testing.T, noOpenat2 bool) {
	dir := t.TempDir()
	c := openCache(t, dir)
	c.noOpenat2.Store(noOpenat2)
	mustWrite(t, c, AreaRsync, "h/repo/b.roa", "b")
	mustWrite(t, c, AreaRsync, "h/repo/a.mft", "a")
	mustWrite(t, c, AreaRsync, "h/repo/sub/c.cer", "c")
	mustWrite(t, c, AreaRsync, "h/secret.roa", "s")
	if err := os.Symlink(filepath.Join(dir, "rsync", "h", "secret.roa"), filepath.Join(dir, "rsync", "h", "repo", "l.roa")); err != nil {
		t.Fatal(err)
	}
	d, err := c.OpenDir(AreaRsync, "h/repo")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got, err := d.ReadFile("b.roa"); err != nil || string(got) != "b" {
		t.Errorf("ReadFile(b.roa) = %q, %v", got, err)
	}
	if _, err := d.ReadFile("x.roa"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	for _, bad := range []string{"../secret.roa", "sub/c.cer", "..", ".", "", "l.roa"} {
		if got, err := d.ReadFile(bad); err == nil {
			t.Errorf("ReadFile(%q) = %q", bad, got)
		}
	}
	for range 2 {
		names, err := d.List()
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"a.mft", "b.roa"}; !slices.Equal(names, want) {
			t.Errorf("List = %q, want %q", names, want)
		}
	}
	if _, err := c.OpenDir(AreaRsync, "h/none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenDir of a missing directory: %v", err)
	}
}
