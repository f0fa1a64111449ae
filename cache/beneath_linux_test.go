//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// openBeneath refuses what os.Root refuses: a symbolic link anywhere on
// the path (to a file outside or inside the cache) and "..". Where the
// kernel lacks openat2 the test says so instead of passing silently.
func TestOpenBeneath(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	mustWrite(t, c, AreaRsync, "h/repo/a.roa", "a")
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "rsync", "h", "repo", "link.roa")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "rsync", "h"), filepath.Join(dir, "rsync", "hl")); err != nil {
		t.Fatal(err)
	}
	f, err := c.openBeneath("rsync/h/repo/a.roa", os.O_RDONLY)
	if errors.Is(err, errNoOpenat2) {
		t.Fatalf("openat2 is not available on this kernel: tally falls back to os.Root (slower, as safe)")
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, name := range []string{"rsync/h/repo/link.roa", "rsync/hl/repo/a.roa", "rsync/../../etc/passwd", "/etc/passwd"} {
		f, err := c.openBeneath(name, os.O_RDONLY)
		if err == nil {
			f.Close()
			t.Errorf("openBeneath(%q) succeeded", name)
			continue
		}
		if !errors.Is(err, syscall.ELOOP) && !errors.Is(err, syscall.EXDEV) {
			t.Errorf("openBeneath(%q) = %v, want ELOOP or EXDEV", name, err)
		}
	}
	if _, err := c.ReadFile(AreaRsync, "h/repo/link.roa"); err == nil {
		t.Error("ReadFile followed a planted symbolic link")
	}
	if got := mustRead(t, c, AreaRsync, "h/repo/a.roa"); got != "a" {
		t.Errorf("ReadFile = %q", got)
	}
}

// dirInodes gives each regular file's inode, as stat does, and nothing
// for subdirectories or symbolic links.
func TestDirInodes(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	for _, n := range []string{"a.roa", "b.mft", "sub/c.roa"} {
		mustWrite(t, c, AreaValid, "h/p/"+n, n)
	}
	if err := os.Symlink("a.roa", filepath.Join(dir, "valid", "h", "p", "l.roa")); err != nil {
		t.Fatal(err)
	}
	inodes, _, ok := c.dirInodes("valid/h/p")
	if !ok {
		t.Fatal("dirInodes failed")
	}
	if len(inodes) != 2 {
		t.Errorf("dirInodes = %v, want a.roa and b.mft", inodes)
	}
	for _, n := range []string{"a.roa", "b.mft"} {
		fi, err := os.Stat(filepath.Join(dir, "valid", "h", "p", n))
		if err != nil {
			t.Fatal(err)
		}
		if want := fi.Sys().(*syscall.Stat_t).Ino; inodes[n] != want {
			t.Errorf("inode of %s = %d, want %d", n, inodes[n], want)
		}
	}
}

// readBeneath returns exactly the file's bytes whatever its size (empty,
// a page, larger than a first guess), and refuses what is not a regular
// file without blocking on a FIFO.
func TestReadBeneath(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	for _, size := range []int{0, 1, 4096, readBufSize, readBufSize + 1, 100000} {
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(i*7 + size)
		}
		rel := filepath.Join("h", "repo", "f"+string(rune('a'+size%26))+".roa")
		mustWrite(t, c, AreaRsync, rel, string(want))
		got, err := c.readBeneath("rsync/" + rel)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if string(got) != string(want) {
			t.Errorf("size %d: read %d bytes, not the file's", size, len(got))
		}
	}
	if _, err := c.readBeneath("rsync/h/repo"); err == nil {
		t.Error("readBeneath read a directory")
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "rsync", "h", "repo", "p.roa"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadFile(AreaRsync, "h/repo/p.roa"); err == nil {
		t.Error("ReadFile read a FIFO")
	}
}

// mkdirAll makes missing parents, accepts a directory already there, and
// refuses a file or a symbolic link in the way (a link to a directory
// outside the cache too).
func TestMkdirAllBeneath(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	for _, n := range []string{"valid/h/m/a/b", "valid/h/m/a/b", "valid/h/m/a/c", "valid/top"} {
		if err := c.mkdirAll(n); err != nil {
			t.Fatalf("mkdirAll(%s): %v", n, err)
		}
		if fi, err := os.Lstat(filepath.Join(dir, n)); err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v, %v", n, fi, err)
		}
	}
	mustWrite(t, c, AreaValid, "h/file", "x")
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "valid", "h", "link")); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"valid/h/file", "valid/h/file/sub", "valid/h/link", "valid/h/link/sub"} {
		if err := c.mkdirAll(n); err == nil {
			t.Errorf("mkdirAll(%s) succeeded", n)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Errorf("made %v outside the cache", entries)
	}
}

// A listing is whole whether or not the file system is taken to fill the
// getdents buffer: for an empty directory, a few files, and more long
// names than one buffer holds (several reads); and this machine's cache
// file system (ext4 or tmpfs in CI) is one that fills it.
func TestListComplete(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	want := map[string][]string{"h/empty": nil}
	if err := os.MkdirAll(filepath.Join(dir, "rsync", "h", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		name  string
		files int
		long  int
	}{{"few", 5, 10}, {"many", 2 * readBufSize / maxDirent, 240}} {
		for i := range d.files {
			n := fmt.Sprintf("%0*d.roa", d.long, i)
			mustWrite(t, c, AreaRsync, "h/"+d.name+"/"+n, "x")
			want["h/"+d.name] = append(want["h/"+d.name], n)
		}
	}
	switch st := new(syscall.Statfs_t); {
	case syscall.Statfs(dir, st) != nil:
		t.Fatal("statfs")
	case st.Type == 0xef53 || st.Type == 0x01021994:
		if !c.readdirFills {
			t.Errorf("file system %#x: readdirFills not set", st.Type)
		}
	}
	for _, fills := range []bool{true, false} {
		c.readdirFills = fills
		for rel, names := range want {
			d, err := c.OpenDir(AreaRsync, rel)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.List()
			d.Close()
			if err != nil || !slices.Equal(got, names) {
				t.Errorf("fills %v: %s: %d names, %v; want %d", fills, rel, len(got), err, len(names))
			}
		}
	}
}
