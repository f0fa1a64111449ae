package cache

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func file(name, data string) File {
	return File{Name: name, Hash: sha256.Sum256([]byte(data))}
}

// TestPromote runs with openat2 and, as on a kernel without it, through
// os.Root alone.
func TestPromote(t *testing.T) {
	for _, noOpenat2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "openat2", true: "os.Root"}[noOpenat2], func(t *testing.T) {
			testPromote(t, noOpenat2)
		})
	}
}

func testPromote(t *testing.T, noOpenat2 bool) {
	dir := t.TempDir()
	c := openCache(t, dir)
	c.noOpenat2.Store(noOpenat2)
	const pp = "h/repo/ca"
	mustWrite(t, c, AreaRsync, pp+"/a.mft", "mft1")
	mustWrite(t, c, AreaRsync, pp+"/a.crl", "crl1")
	mustWrite(t, c, AreaRsync, pp+"/x.roa", "x1")
	mustWrite(t, c, AreaRsync, pp+"/unlisted.roa", "junk")
	mustWrite(t, c, AreaValid, pp+"/child/b.mft", "child") // a child's point
	mustWrite(t, c, AreaValid, pp+"/gone.roa", "old")

	first := []File{file("a.mft", "mft1"), file("a.crl", "crl1"), file("x.roa", "x1")}
	if err := c.Promote(AreaRsync, pp, pp, first); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	want := []string{"valid/h/repo/ca/a.crl", "valid/h/repo/ca/a.mft", "valid/h/repo/ca/child/b.mft", "valid/h/repo/ca/x.roa"}
	if got := validFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("valid area %q, want %q", got, want)
	}
	crlBefore, err := os.Stat(filepath.Join(dir, "valid", pp, "a.crl"))
	if err != nil {
		t.Fatal(err)
	}

	// Next run: the manifest and a ROA change, the CRL does not.
	mustWrite(t, c, AreaRsync, pp+"/a.mft", "mft2")
	mustWrite(t, c, AreaRsync, pp+"/y.roa", "y2")
	second := []File{file("a.mft", "mft2"), file("a.crl", "crl1"), file("y.roa", "y2")}
	if err := c.Promote(AreaRsync, pp, pp, second); err != nil {
		t.Fatalf("second Promote: %v", err)
	}
	want = []string{"valid/h/repo/ca/a.crl", "valid/h/repo/ca/a.mft", "valid/h/repo/ca/child/b.mft", "valid/h/repo/ca/y.roa"}
	if got := validFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("valid area %q, want %q", got, want)
	}
	if got := mustRead(t, c, AreaValid, pp+"/a.mft"); got != "mft2" {
		t.Errorf("manifest %q, want mft2", got)
	}
	crlAfter, err := os.Stat(filepath.Join(dir, "valid", pp, "a.crl"))
	if err != nil || !os.SameFile(crlBefore, crlAfter) {
		t.Errorf("unchanged CRL was rewritten (err %v)", err)
	}
	// Staging keeps its files for the next incremental sync.
	if got := mustRead(t, c, AreaRsync, pp+"/x.roa"); got != "x1" {
		t.Errorf("staging lost x.roa: %q", got)
	}
	// The validated copy is the download's file itself (a hard link), and
	// a new download, written beside and renamed over it as every writer
	// of the cache does, leaves the validated copy as it was.
	src, _ := os.Stat(filepath.Join(dir, "rsync", pp, "y.roa"))
	dst, _ := os.Stat(filepath.Join(dir, "valid", pp, "y.roa"))
	if src == nil || dst == nil || !os.SameFile(src, dst) {
		t.Errorf("validated y.roa is not a link to the download")
	}
	mustWrite(t, c, AreaRsync, pp+"/y.roa", "y3")
	if got := mustRead(t, c, AreaValid, pp+"/y.roa"); got != "y2" {
		t.Errorf("validated y.roa changed with the download: %q", got)
	}
	// A point promoted for the first time, its directory not there yet.
	const np = "h/other/ca"
	mustWrite(t, c, AreaRsync, np+"/n.mft", "n")
	if err := c.Promote(AreaRsync, np, np, []File{file("n.mft", "n")}); err != nil {
		t.Fatalf("first Promote of a new point: %v", err)
	}
	if got := mustRead(t, c, AreaValid, np+"/n.mft"); got != "n" {
		t.Errorf("new point's manifest %q", got)
	}
	assertNoLeftovers(t, dir)
}

func TestPromoteHashMismatch(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	const pp = "h/repo"
	mustWrite(t, c, AreaValid, pp+"/a.mft", "old")
	mustWrite(t, c, AreaRsync, pp+"/a.mft", "new")
	mustWrite(t, c, AreaRsync, pp+"/a.roa", "changed after validation")
	err := c.Promote(AreaRsync, pp, pp, []File{file("a.mft", "new"), file("a.roa", "validated")})
	if !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("Promote: %v, want ErrHashMismatch", err)
	}
	if got := validFiles(t, dir); !slices.Equal(got, []string{"valid/h/repo/a.mft"}) {
		t.Errorf("valid area changed: %q", got)
	}
	if got := mustRead(t, c, AreaValid, pp+"/a.mft"); got != "old" {
		t.Errorf("manifest %q, want old", got)
	}
	assertNoLeftovers(t, dir)
}

func TestPromoteBadInput(t *testing.T) {
	c := openCache(t, t.TempDir())
	mustWrite(t, c, AreaRRDP, "d/h/a.roa", "a")
	for name, files := range map[string][]File{
		"slash":   {file("x/a.roa", "a")},
		"dotdot":  {file("..", "a")},
		"hidden":  {file(".state.json", "a")},
		"twice":   {file("a.roa", "a"), file("a.roa", "a")},
		"missing": {file("nope.roa", "a")},
		"empty":   {file("", "a")},
	} {
		if err := c.Promote(AreaRRDP, "d/h", "h", files); err == nil {
			t.Errorf("%s: Promote succeeded", name)
		}
	}
	if err := c.Promote(AreaRRDP, "../d", "h", nil); !errors.Is(err, ErrBadPath) {
		t.Errorf("bad source dir: %v", err)
	}
}

// TestPromoteCrashReplay stops a promotion after its journal is written,
// as a crash would, and checks that Open completes it.
func TestPromoteCrashReplay(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	const pp = "h/repo"
	mustWrite(t, c, AreaValid, pp+"/a.mft", "old")
	mustWrite(t, c, AreaValid, pp+"/old.roa", "old")
	mustWrite(t, c, AreaRsync, pp+"/a.mft", "new")
	mustWrite(t, c, AreaRsync, pp+"/new.roa", "new")

	j := journal{Dir: pp}
	files := []File{file("a.mft", "new"), file("new.roa", "new")}
	if err := c.stage(&j, "rsync/"+pp, "valid/"+pp, files); err != nil {
		t.Fatal(err)
	}
	if _, err := c.writeJournal(&j); err != nil {
		t.Fatal(err)
	}
	// Half the renames happened before the crash.
	if err := c.root.Rename(j.Moves[0].Tmp, "valid/"+pp+"/"+j.Moves[0].Name); err != nil {
		t.Fatal(err)
	}
	c.Close()

	c = openCache(t, dir)
	want := []string{"valid/h/repo/a.mft", "valid/h/repo/new.roa"}
	if got := validFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("after replay %q, want %q", got, want)
	}
	if got := mustRead(t, c, AreaValid, pp+"/new.roa"); got != "new" {
		t.Errorf("new.roa %q", got)
	}
	assertNoLeftovers(t, dir)
}

func TestReplayDropsForeignJournal(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	mustWrite(t, c, AreaValid, "h/repo/a.roa", "a")
	c.Close()
	bad := `{"dir":"h/repo","names":[],"moves":[{"tmp":"../../etc/passwd","name":"a.roa"}]}`
	if err := os.WriteFile(filepath.Join(dir, ".journal", "x.json"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	c = openCache(t, dir)
	if got := mustRead(t, c, AreaValid, "h/repo/a.roa"); got != "a" {
		t.Errorf("a.roa %q", got)
	}
	assertNoLeftovers(t, dir)
}

func validFiles(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	for _, f := range files(t, dir) {
		if rel, ok := cutArea(f, "valid"); ok {
			got = append(got, "valid/"+rel)
		}
	}
	return got
}

func cutArea(p, area string) (string, bool) {
	p = filepath.ToSlash(p)
	if len(p) > len(area)+1 && p[:len(area)+1] == area+"/" {
		return p[len(area)+1:], true
	}
	return "", false
}

// assertNoLeftovers checks that no temporary file or journal remains.
func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{".tmp", ".journal"} {
		if n, err := os.ReadDir(filepath.Join(dir, d)); err != nil || len(n) != 0 {
			t.Errorf("%s: %v %v", d, n, err)
		}
	}
}

// A first promotion (no validated copy yet) links the files straight into
// place, each the download's own inode; a file whose hash changed since
// validation, or a symbolic link planted in the download, leaves the
// valid area without any file of the publication point.
func TestPromoteFirst(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	const pp = "h/repo/ca"
	mustWrite(t, c, AreaRsync, pp+"/a.mft", "mft")
	mustWrite(t, c, AreaRsync, pp+"/x.roa", "x")
	if err := c.Promote(AreaRsync, pp, pp, []File{file("a.mft", "mft"), file("x.roa", "x")}); err != nil {
		t.Fatal(err)
	}
	if got := validFiles(t, dir); !slices.Equal(got, []string{"valid/h/repo/ca/a.mft", "valid/h/repo/ca/x.roa"}) {
		t.Errorf("valid files %q", got)
	}
	a, err := os.Stat(filepath.Join(dir, "rsync", pp, "x.roa"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(filepath.Join(dir, "valid", pp, "x.roa"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Error("validated copy is not a link to the download")
	}
	assertNoLeftovers(t, dir)

	const pp2 = "h/repo/ca2"
	mustWrite(t, c, AreaRsync, pp2+"/a.mft", "mft")
	mustWrite(t, c, AreaRsync, pp2+"/x.roa", "changed after validation")
	err = c.Promote(AreaRsync, pp2, pp2, []File{file("a.mft", "mft"), file("x.roa", "x")})
	if !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("Promote: %v, want ErrHashMismatch", err)
	}
	if err := os.Symlink(filepath.Join(dir, "rsync", pp2, "a.mft"), filepath.Join(dir, "rsync", pp2, "l.roa")); err != nil {
		t.Fatal(err)
	}
	if err := c.Promote(AreaRsync, pp2, pp2, []File{file("a.mft", "mft"), file("l.roa", "mft")}); err == nil {
		t.Fatal("Promote linked a symbolic link")
	}
	if got := validFiles(t, dir); !slices.Equal(got, []string{"valid/h/repo/ca/a.mft", "valid/h/repo/ca/x.roa"}) {
		t.Errorf("valid files after refused promotions %q", got)
	}
}
