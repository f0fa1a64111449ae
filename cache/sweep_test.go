package cache

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestSweep(t *testing.T) {
	for _, noOpenat2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "openat2", true: "os.Root"}[noOpenat2], func(t *testing.T) {
			testSweep(t, noOpenat2)
		})
	}
}

func testSweep(t *testing.T, noOpenat2 bool) {
	dir := t.TempDir()
	c := openCache(t, dir)
	c.noOpenat2.Store(noOpenat2)
	mustWrite(t, c, AreaValid, "h/repo/keep.roa", "k")
	mustWrite(t, c, AreaValid, "h/repo/drop.roa", "d")
	mustWrite(t, c, AreaValid, "h/gone/deep/drop.roa", "d")
	mustWrite(t, c, AreaRsync, "h/repo/keep.roa", "k")
	mustWrite(t, c, AreaTA, "ripe.cer", "ta")
	// Leftovers nobody is asked about: an rsync temporary file, a link.
	leftover := filepath.Join(dir, "rsync", "h", "repo", ".keep.roa.Xa1b2c")
	if err := os.WriteFile(leftover, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "rsync", "h", "repo", "link.roa")); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex // keep is called from one goroutine per area
	var asked []string
	removed, err := c.Sweep(func(a Area, rel string) bool {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, string(a)+"/"+rel)
		return !strings.Contains(rel, "drop")
	}, "")
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if removed != 4 {
		t.Errorf("removed %d files, want 4", removed)
	}
	slices.Sort(asked)
	wantAsked := []string{"rsync/h/repo/keep.roa", "ta/ripe.cer", "valid/h/gone/deep/drop.roa",
		"valid/h/repo/drop.roa", "valid/h/repo/keep.roa"}
	if !slices.Equal(asked, wantAsked) {
		t.Errorf("keep asked about %q, want %q", asked, wantAsked)
	}
	want := []string{"rsync/h/repo/keep.roa", "ta/ripe.cer", "valid/h/repo/keep.roa"}
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "valid", "h", "gone")); !os.IsNotExist(err) {
		t.Errorf("empty directories left: %v", err)
	}
	for _, a := range []string{"rrdp", "rsync", "ta", "valid"} {
		if _, err := os.Stat(filepath.Join(dir, a)); err != nil {
			t.Errorf("area removed: %v", err)
		}
	}
}

// In the rrdp area keep answers per repository: a rejected repository
// goes whole, state included; a kept one is not listed file by file.
func TestSweepRRDPState(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	const kept, gone = "https://kept.example/notify.xml", "https://gone.example/notify.xml"
	for _, n := range []string{kept, gone} {
		d := RRDPDir(n)
		mustWrite(t, c, AreaRRDP, d+"/h/repo/a.roa", "a")
		mustWrite(t, c, AreaRRDP, d+"/h/repo/b.roa", "b")
		if err := c.SaveRRDPState(n, &RRDPState{SessionID: "s", Serial: 7}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var asked []string
	removed, err := c.Sweep(func(a Area, rel string) bool {
		if a != AreaRRDP {
			return true
		}
		mu.Lock()
		asked = append(asked, rel)
		mu.Unlock()
		return rel == RRDPDir(kept)
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(asked)
	want := []string{RRDPDir(kept), RRDPDir(gone)}
	slices.Sort(want)
	if !slices.Equal(asked, want) {
		t.Errorf("keep asked about %q, want the two repositories", asked)
	}
	if removed != 2 { // its two files (the state, removed first, is not counted)
		t.Errorf("removed %d files, want 2", removed)
	}
	if st, err := c.LoadRRDPState(kept); err != nil || st == nil || st.Serial != 7 {
		t.Errorf("kept repository lost its state: %+v, %v", st, err)
	}
	if st, err := c.LoadRRDPState(gone); err != nil || st != nil {
		t.Errorf("removed repository kept its state: %+v, %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "rrdp", RRDPDir(gone))); !os.IsNotExist(err) {
		t.Errorf("removed repository's directory: %v", err)
	}
	if got := mustRead(t, c, AreaRRDP, RRDPDir(kept)+"/h/repo/b.roa"); got != "b" {
		t.Errorf("b.roa %q", got)
	}
}

// The valid area is walked again only when what keep keeps there changed
// or something was promoted since the last sweep.
func TestSweepSkipsUnchangedValidArea(t *testing.T) {
	dir := t.TempDir()
	c := openCache(t, dir)
	const pp = "h/repo"
	promote := func(mft string) {
		t.Helper()
		mustWrite(t, c, AreaRsync, pp+"/a.mft", mft)
		if err := c.Promote(AreaRsync, pp, pp, []File{file("a.mft", mft)}); err != nil {
			t.Fatal(err)
		}
	}
	promote("m1")
	for i, step := range []struct {
		promote   string // promote this manifest in a run of its own first
		validKeep string
		walk      bool
	}{
		{validKeep: "set 1", walk: true}, // promoted, never swept
		{validKeep: "set 1", walk: false},
		{validKeep: "set 2", walk: true},
		// A promotion in a later run marks the area, even when that run
		// fails before its sweep.
		{promote: "m2", validKeep: "set 2", walk: true},
		{validKeep: "set 2", walk: false},
		{validKeep: "", walk: true}, // no fingerprint: always
	} {
		if step.promote != "" {
			c.Close()
			c = openCache(t, dir)
			promote(step.promote)
			c.Close()
			c = openCache(t, dir)
		}
		var walked atomic.Bool
		if _, err := c.Sweep(func(a Area, rel string) bool {
			if a == AreaValid {
				walked.Store(true)
			}
			return true
		}, step.validKeep); err != nil {
			t.Fatal(err)
		}
		if walked.Load() != step.walk {
			t.Errorf("step %d (%+v): valid area walked = %v", i, step, walked.Load())
		}
	}
}
