//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package cache

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// Prefetch reads a directory's files ahead, in batches, and ReadFile then
// returns exactly what it returns without prefetching: the same bytes for
// small, large, empty and many files, and the same refusals for missing
// files, symbolic links, FIFOs, directories and bad names; ReadOther
// returns what Cache.ReadFile does. Where the
// kernel gives this process io_uring, the small files must come from the
// prefetch.
func TestDirPrefetch(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	repo := filepath.Join(dir, "rsync", "h", "repo")
	want := map[string]string{}
	add := func(name string, size int) {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(i*7 + len(name))
		}
		mustWrite(t, c, AreaRsync, "h/repo/"+name, string(b))
		want[name] = string(b)
	}
	for i := range 2*ringSlots + 5 { // three batches
		add(fmt.Sprintf("f%03d.roa", i), 100+i*37)
	}
	add("slot.crl", ringSlotSize) // fills a slot: read again the ordinary way
	add("large.mft", 3*ringSlotSize+1)
	add("empty.cer", 0)
	mustWrite(t, c, AreaRsync, "h/secret.roa", "s")
	if err := os.Symlink(filepath.Join(dir, "rsync", "h", "secret.roa"), filepath.Join(repo, "link.roa")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(repo, "fifo.roa"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(repo, "sub.cer"), 0o755); err != nil {
		t.Fatal(err)
	}
	names := []string{"missing.roa", "link.roa", "fifo.roa", "sub.cer", "../secret.roa", ""}
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	mustWrite(t, c, AreaValid, "h/repo/v.mft", "valid copy")
	others := []Path{{AreaValid, "h/repo/v.mft"}, {AreaValid, "h/repo/none.mft"}, {AreaValid, "h/../secret.roa"}, {"nowhere", "x"}}

	read := func(prefetch bool) (map[string]string, map[string]bool, int) {
		d, err := c.OpenDir(AreaRsync, "h/repo")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if prefetch {
			d.Prefetch(names, others...)
		}
		ahead := len(d.pre) + len(d.other)
		for _, o := range others {
			data, err := d.ReadOther(o.Area, o.Rel)
			wantData, wantErr := c.ReadFile(o.Area, o.Rel)
			if string(data) != string(wantData) || (err == nil) != (wantErr == nil) {
				t.Errorf("ReadOther(%s, %s) = %q, %v; ReadFile: %q, %v", o.Area, o.Rel, data, err, wantData, wantErr)
			}
		}
		got, failed := map[string]string{}, map[string]bool{}
		for _, n := range names {
			data, err := d.ReadFile(n)
			if err != nil {
				failed[n] = true
				continue
			}
			got[n] = string(data)
		}
		return got, failed, ahead
	}
	plainGot, plainFailed, _ := read(false)
	if !maps.Equal(plainGot, want) {
		t.Fatalf("without prefetch: read %d files, want %d", len(plainGot), len(want))
	}
	for _, n := range []string{"missing.roa", "link.roa", "fifo.roa", "sub.cer", "../secret.roa", ""} {
		if !plainFailed[n] {
			t.Errorf("without prefetch: %q read", n)
		}
	}
	got, failed, ahead := read(true)
	if !maps.Equal(got, want) || !maps.Equal(failed, plainFailed) {
		t.Errorf("with prefetch: %d files read, %d refused; without: %d, %d", len(got), len(failed), len(plainGot), len(plainFailed))
	}
	if r, err := newRing(); err == nil {
		r.close()
		if small := 2*ringSlots + 5 + 1; ahead != small {
			t.Errorf("io_uring available: %d files read ahead, want the %d small ones", ahead, small)
		}
	} else {
		t.Logf("no io_uring here (%v): files read one by one", err)
	}
	if len(c.broken) > 0 || c.noUring.Load() && ahead > 0 {
		t.Errorf("ring state: %d broken, noUring %v", len(c.broken), c.noUring.Load())
	}

	// Without io_uring (as under a seccomp filter that refuses it),
	// Prefetch reads nothing and ReadFile still reads everything.
	c.noUring.Store(true)
	got, failed, ahead = read(true)
	if ahead != 0 || !maps.Equal(got, want) || !maps.Equal(failed, plainFailed) {
		t.Errorf("without io_uring: %d read ahead, %d files read, %d refused", ahead, len(got), len(failed))
	}
}

// A FIFO with a writer that never writes, planted in the cache, does not
// hang a prefetch: the ring cancels what made no progress within its
// wait, and ReadFile then refuses the FIFO the ordinary way while the
// regular files are read.
func TestDirPrefetchBlockingFIFO(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	mustWrite(t, c, AreaRsync, "h/repo/a.roa", "a")
	fifo := filepath.Join(dir, "rsync", "h", "repo", "w.roa")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_RDWR, 0) // a writer, so reads wait
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r, err := newRing()
	if err != nil {
		t.Logf("no io_uring here (%v): nothing to hang", err)
		return
	}
	r.wait = 200 * time.Millisecond
	c.putRing(r, nil)

	d, err := c.OpenDir(AreaRsync, "h/repo")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Prefetch([]string{"a.roa", "w.roa"})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Prefetch hangs on a FIFO")
	}
	if got, err := d.ReadFile("a.roa"); err != nil || string(got) != "a" {
		t.Errorf("ReadFile(a.roa) = %q, %v", got, err)
	}
	if got, err := d.ReadFile("w.roa"); err == nil {
		t.Errorf("ReadFile of a FIFO = %q", got)
	}
	if len(c.broken) > 0 {
		t.Errorf("the ring broke: its requests did not finish after the cancel")
	}
}

// A kernel that sets up a ring but refuses the operations on it (here
// provoked with a resolve flag openat2 does not know) turns io_uring off
// for the cache; the files are read the ordinary way.
func TestDirPrefetchRingRefused(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	mustWrite(t, c, AreaRsync, "h/repo/a.roa", "a")
	r, err := newRing()
	if err != nil {
		t.Logf("no io_uring here (%v)", err)
		return
	}
	r.how.resolve |= 1 << 40
	c.putRing(r, nil)
	d, err := c.OpenDir(AreaRsync, "h/repo")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Prefetch([]string{"a.roa"})
	if !c.noUring.Load() || len(d.pre) != 0 {
		t.Errorf("after refused operations: noUring %v, %d read ahead", c.noUring.Load(), len(d.pre))
	}
	if got, err := d.ReadFile("a.roa"); err != nil || string(got) != "a" {
		t.Errorf("ReadFile(a.roa) = %q, %v", got, err)
	}
}

// Files read ahead are copied into shared blocks of memory, several to a
// block: across many blocks, and in a directory opened after another was
// closed (whose blocks it may reuse), each file reads back whole and
// exact.
func TestDirPrefetchChunks(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	var names []string
	want := map[string]string{}
	for i := range 3 * chunkSize / (20 << 10) { // about three blocks
		name := fmt.Sprintf("f%03d.roa", i)
		b := make([]byte, 20<<10-i) // sizes that do not divide a block
		for j := range b {
			b[j] = byte(i + j*13)
		}
		mustWrite(t, c, AreaRsync, "h/repo/"+name, string(b))
		names = append(names, name)
		want[name] = string(b)
	}
	for round := range 3 {
		d, err := c.OpenDir(AreaRsync, "h/repo")
		if err != nil {
			t.Fatal(err)
		}
		d.Prefetch(names)
		if r, err := newRing(); err == nil {
			r.close()
			if len(d.pre) != len(names) || len(d.chunks) < 3 {
				t.Fatalf("round %d: io_uring available: %d of %d files read ahead into %d blocks", round, len(d.pre), len(names), len(d.chunks))
			}
		}
		for _, n := range names {
			data, err := d.ReadFile(n)
			if err != nil || string(data) != want[n] {
				t.Fatalf("round %d: %s: %d bytes, %v; want %d bytes", round, n, len(data), err, len(want[n]))
			}
			if cap(data) != len(data) {
				t.Fatalf("round %d: %s: capacity %d beyond its %d bytes: an append would overwrite the next file", round, n, cap(data), len(data))
			}
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
