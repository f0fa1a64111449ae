package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// Sweep removes the files nobody needs any more, at the end of a
// successful run. It calls keep for every regular file in every area,
// with relpath relative to the area, and removes those keep rejects. It
// removes without asking anything else it finds there: symbolic links and
// other non-regular files, files on a path with a dot-named segment (such
// as leftovers of a killed rsync; no URI maps there), then directories
// left empty. RRDP state files are never offered to keep.
//
// In the rrdp area keep is asked once per repository, with relpath its
// RRDPDir, and a repository it rejects is removed whole, state first. Its
// files are not listed one by one: only RRDP writes there, each file at a
// checked path (a run killed mid-sync leaves its stage, which Open
// removes), so there is nothing else to find, and the largest area of the
// cache is not walked on every run.
//
// Sweep returns the number of files removed. It must not run while
// anything else writes to the cache. keep is called from several
// goroutines at once.
func (c *Cache) Sweep(keep func(area Area, relpath string) bool) (removed int, err error) {
	// The areas are independent: swept at once, keep called from as
	// many goroutines.
	var wg sync.WaitGroup
	counts := make([]int, len(areas))
	errs := make([]error, len(areas))
	for i, a := range areas {
		wg.Go(func() {
			counts[i], errs[i] = c.sweepArea(a, keep)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("cache: sweep %s: %w", a, errs[i])
			}
		})
	}
	wg.Wait()
	for _, n := range counts {
		removed += n
	}
	return removed, errors.Join(errs...)
}

// sweepArea sweeps one area: first decide, then remove states, files and
// the directories left empty, in that order.
//
// The walk lists directories through the cache's path, not os.Root: it
// only reads listings, never follows a symbolic link it finds (WalkDir
// does not descend into them, and the areas themselves are checked at
// Open), and costs one open per directory instead of one per path
// component. Removals still go through os.Root.
func (c *Cache) sweepArea(a Area, keep func(Area, string) bool) (int, error) {
	if a == AreaRRDP {
		return c.sweepRRDP(keep)
	}
	var drop, dirs []string
	left := make(map[string]int) // directory → entries it keeps
	err := fs.WalkDir(os.DirFS(c.dir), string(a), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == string(a) {
			return nil
		}
		left[path.Dir(p)]++
		rel := strings.TrimPrefix(p, string(a)+"/")
		switch {
		case d.IsDir():
			dirs = append(dirs, p)
		case !d.Type().IsRegular() || checkRel(rel) != nil || !keep(a, rel):
			drop = append(drop, p)
			left[path.Dir(p)]--
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, p := range drop {
		if err := c.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, err
		}
		removed++
	}
	return removed, c.removeEmptyDirs(dirs, left)
}

// sweepRRDP removes the repositories of the rrdp area that keep rejects,
// and anything there that is not a repository directory, and returns the
// number of files removed.
func (c *Cache) sweepRRDP(keep func(Area, string) bool) (int, error) {
	entries, err := os.ReadDir(filepath.Join(c.dir, string(AreaRRDP)))
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, e := range entries {
		n := string(AreaRRDP) + "/" + e.Name()
		if e.IsDir() && checkRel(e.Name()) == nil && keep(AreaRRDP, e.Name()) {
			continue
		}
		if e.IsDir() {
			if err := c.dropState(n); err != nil {
				return removed, err
			}
			fs.WalkDir(os.DirFS(c.dir), n, func(_ string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					removed++
				}
				return nil
			})
		} else {
			removed++
		}
		if err := c.root.RemoveAll(n); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// removeEmptyDirs removes the directories of dirs that keep no entry,
// deepest first: dirs is in the walk's lexical pre-order, so reversed it
// lists every directory after its subdirectories. left counts what each
// directory keeps.
func (c *Cache) removeEmptyDirs(dirs []string, left map[string]int) error {
	for _, d := range slices.Backward(dirs) {
		if left[d] > 0 {
			continue
		}
		err := c.root.Remove(d)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
				continue // something was left after all
			}
			return err
		}
		left[path.Dir(d)]--
	}
	return nil
}
