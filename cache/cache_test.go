package cache

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func openCache(t *testing.T, dir string) *Cache {
	t.Helper()
	c, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustWrite(t *testing.T, c *Cache, area Area, rel, data string) {
	t.Helper()
	if err := c.WriteFile(area, rel, []byte(data)); err != nil {
		t.Fatalf("WriteFile(%s, %s): %v", area, rel, err)
	}
}

func mustRead(t *testing.T, c *Cache, area Area, rel string) string {
	t.Helper()
	data, err := c.ReadFile(area, rel)
	if err != nil {
		t.Fatalf("ReadFile(%s, %s): %v", area, rel, err)
	}
	return string(data)
}

// files lists the regular files and symlinks below dir, relative to it,
// skipping the cache's own top-level names.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if !strings.HasPrefix(rel, ".lock") && !strings.HasPrefix(rel, ".tmp") && !strings.HasPrefix(rel, ".journal") {
			got = append(got, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

func TestOpenLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c := openCache(t, dir)
	for _, n := range []string{".lock", ".tmp", ".journal", "rrdp", "rsync", "ta", "valid"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("after Open: %v", err)
		}
	}
	if c.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", c.Dir(), dir)
	}
}

func TestOpenTwiceInProcess(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	_, err := Open(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: got %v, want ErrLocked", err)
	}
	lock := filepath.Join(dir, ".lock")
	if want := "cache " + dir + " is in use by another tally (lock " + lock + ")"; err.Error() != want {
		t.Errorf("second Open: %q, want %q", err, want)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := openCache(t, dir) // free again after Close
	c2.Close()
}

// TestOpenLockedByOtherProcess runs this test binary again as a child
// that holds the lock, and checks that Open here fails at once, and
// succeeds once the child is gone.
func TestOpenLockedByOtherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolder$")
	cmd.Env = append(os.Environ(), "TALLY_TEST_LOCK_DIR="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("lock holder said %q, %v", line, err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), filepath.Join(dir, ".lock")) {
		t.Fatalf("Open while another process holds the lock: %v", err)
	}
	stdin.Close() // the holder exits, and the kernel drops its lock
	if err := cmd.Wait(); err != nil {
		t.Fatalf("lock holder: %v", err)
	}
	c := openCache(t, dir)
	c.Close()
}

// TestLockHolder is the child of TestOpenLockedByOtherProcess; run
// directly it does nothing.
func TestLockHolder(t *testing.T) {
	dir := os.Getenv("TALLY_TEST_LOCK_DIR")
	if dir == "" {
		return
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked\n")
	var buf [1]byte
	os.Stdin.Read(buf[:]) // until the parent closes the pipe
	c.Close()
}

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	mustWrite(t, c, AreaRsync, "rpki.example.net/repo/a.roa", "one")
	mustWrite(t, c, AreaRsync, "rpki.example.net/repo/a.roa", "two")
	if got := mustRead(t, c, AreaRsync, "rpki.example.net/repo/a.roa"); got != "two" {
		t.Errorf("read %q, want %q", got, "two")
	}
	if _, err := c.ReadFile(AreaRsync, "rpki.example.net/repo/missing.roa"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := c.ReadFile("other", "x"); !errors.Is(err, ErrBadPath) {
		t.Errorf("unknown area: %v", err)
	}
	u, err := ParseURI("https://[::1]:8443/notify.xml")
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, c, AreaTA, u.Path(), "ipv6")
	if got := mustRead(t, c, AreaTA, u.Path()); got != "ipv6" {
		t.Errorf("read %q", got)
	}
}

func TestCreateAbortCommit(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	mustWrite(t, c, AreaTA, "ripe.cer", "old")
	w, err := c.Create(AreaTA, "ripe.cer")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("new"))
	if got := mustRead(t, c, AreaTA, "ripe.cer"); got != "old" {
		t.Errorf("before Commit: %q, want old", got)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, c, AreaTA, "ripe.cer"); got != "old" {
		t.Errorf("after Abort: %q, want old", got)
	}
	w, err = c.Create(AreaTA, "ripe.cer")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("new"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if got := mustRead(t, c, AreaTA, "ripe.cer"); got != "new" {
		t.Errorf("after Commit: %q, want new", got)
	}
	if n, _ := os.ReadDir(filepath.Join(dir, ".tmp")); len(n) != 0 {
		t.Errorf("temporary files left: %v", n)
	}
}

func TestBadPaths(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	for _, rel := range []string{
		"", "..", "../escape.roa", "host/../../escape.roa", "host/..", "/etc/passwd",
		"./a", "a/./b", "a//b", "a/", ".lock", ".tmp/x", "host/.state.json",
		"a\x00b", "a\\..\\b", "%2e%2e/x", "a/%2e%2e", "a\nb", "a b",
		strings.Repeat("a", 256), strings.Repeat("a/", 2049) + "a",
	} {
		if err := c.WriteFile(AreaValid, rel, []byte("x")); !errors.Is(err, ErrBadPath) {
			t.Errorf("WriteFile(%q): %v, want ErrBadPath", rel, err)
		}
		if _, err := c.ReadFile(AreaValid, rel); !errors.Is(err, ErrBadPath) {
			t.Errorf("ReadFile(%q): %v, want ErrBadPath", rel, err)
		}
		if _, err := c.Create(AreaValid, rel); !errors.Is(err, ErrBadPath) {
			t.Errorf("Create(%q): %v, want ErrBadPath", rel, err)
		}
		if _, err := c.MkdirAll(AreaRsync, rel); !errors.Is(err, ErrBadPath) {
			t.Errorf("MkdirAll(%q): %v, want ErrBadPath", rel, err)
		}
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("files appeared: %q", got)
	}
}

// TestPlantedSymlinks plants links in the cache that point outside it;
// os.Root must refuse to follow them, for reads and for writes.
func TestPlantedSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.roa"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := openCache(t, dir)
	mustWrite(t, c, AreaValid, "h/repo/ok.roa", "ok")
	for link, target := range map[string]string{
		"valid/evil":            outside,                              // an absolute directory link
		"valid/h/up":            "../../../" + filepath.Base(outside), // a relative one climbing out
		"valid/h/repo/file.roa": filepath.Join(outside, "secret.roa"), // a file link
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []string{"evil/secret.roa", "h/repo/file.roa"} {
		if data, err := c.ReadFile(AreaValid, rel); err == nil {
			t.Errorf("ReadFile(%s) followed the link: %q", rel, data)
		}
	}
	for _, rel := range []string{"evil/new.roa", "h/up/new.roa"} {
		if err := c.WriteFile(AreaValid, rel, []byte("x")); err == nil {
			t.Errorf("WriteFile(%s) followed the link", rel)
		}
		if _, err := c.MkdirAll(AreaValid, rel); err == nil {
			t.Errorf("MkdirAll(%s) followed the link", rel)
		}
	}
	if got := files(t, outside); !slices.Equal(got, []string{"secret.roa"}) {
		t.Errorf("outside directory now holds %q", got)
	}
	// Promote must not read through a link either.
	mustWrite(t, c, AreaRsync, "h/repo/x.roa", "x")
	if err := os.Symlink(filepath.Join(outside, "secret.roa"), filepath.Join(dir, "rsync/h/repo/s.roa")); err != nil {
		t.Fatal(err)
	}
	err := c.Promote(AreaRsync, "h/repo", "h/repo", []File{{Name: "s.roa", Hash: sha256.Sum256([]byte("secret"))}})
	if err == nil {
		t.Error("Promote read through a planted link")
	}
	// Replacing a planted file link writes the link itself, not its target.
	mustWrite(t, c, AreaValid, "h/repo/file.roa", "mine")
	if data, _ := os.ReadFile(filepath.Join(outside, "secret.roa")); string(data) != "secret" {
		t.Errorf("write went through the link: outside file now %q", data)
	}
}

func TestOpenCleansTemporaries(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	mustWrite(t, c, AreaTA, "ripe.cer", "good")
	// A write killed before its rename leaves a temporary file behind.
	w, err := c.Create(AreaTA, "ripe.cer")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half"))
	c.Close()

	c = openCache(t, dir)
	if n, _ := os.ReadDir(filepath.Join(dir, ".tmp")); len(n) != 0 {
		t.Errorf("temporary files survived Open: %v", n)
	}
	if got := mustRead(t, c, AreaTA, "ripe.cer"); got != "good" {
		t.Errorf("after a killed write: %q, want good", got)
	}
}

func TestMkdirAll(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	p, err := c.MkdirAll(AreaRsync, "127.0.0.1:8873/repo")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "rsync", "127.0.0.1:8873", "repo"); p != want {
		t.Errorf("MkdirAll = %q, want %q", p, want)
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		t.Errorf("not a directory: %v", err)
	}
}

// ListFiles names the regular files of a directory, sorted, without its
// subdirectories; a missing directory is fs.ErrNotExist.
func TestListFiles(t *testing.T) {
	c := openCache(t, t.TempDir())
	for _, n := range []string{"h/repo/b.roa", "h/repo/a.mft", "h/repo/sub/c.cer"} {
		mustWrite(t, c, AreaRsync, n, n)
	}
	got, err := c.ListFiles(AreaRsync, "h/repo")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.mft", "b.roa"}; !slices.Equal(got, want) {
		t.Errorf("ListFiles = %q, want %q", got, want)
	}
	if _, err := c.ListFiles(AreaRsync, "h/none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
	if !c.Exists(AreaRsync, "h/repo/b.roa") || c.Exists(AreaRsync, "h/repo/x.roa") {
		t.Error("Exists disagrees with the files written")
	}
}
