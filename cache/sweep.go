package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
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
// In the rrdp area relpath begins with the repository's RRDPDir. Removing
// any file of a repository removes its state first, because the files no
// longer match the serial the state names; the next sync loads a
// snapshot. So keep should answer for a whole repository at once.
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
	var drop, dirs []string
	left := make(map[string]int)    // directory → entries it keeps
	states := make(map[string]bool) // rrdp repository directories with a state file
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
		case a == AreaRRDP && isStateFile(rel):
			states[path.Dir(p)] = true
		case !d.Type().IsRegular() || checkRel(rel) != nil || !keep(a, rel):
			drop = append(drop, p)
			left[path.Dir(p)]--
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if a == AreaRRDP {
		if err := c.dropStates(drop); err != nil {
			return 0, err
		}
		for _, p := range drop { // dropStates removed these repositories' states
			parts := strings.SplitN(p, "/", 3)
			if dir := parts[0] + "/" + parts[1]; len(parts) == 3 && states[dir] {
				states[dir] = false
				left[dir]--
			}
		}
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

// isStateFile reports whether rel (below the rrdp area) is a state file.
func isStateFile(rel string) bool {
	repo, file, ok := strings.Cut(rel, "/")
	return ok && file == stateName && !strings.HasPrefix(repo, ".")
}

// dropStates removes the state of every RRDP repository that is about to
// lose a file. drop holds names below the root, beginning "rrdp/<dir>/".
func (c *Cache) dropStates(drop []string) error {
	done := make(map[string]bool)
	for _, p := range drop {
		parts := strings.SplitN(p, "/", 3)
		if len(parts) < 3 || done[parts[1]] {
			continue
		}
		done[parts[1]] = true
		if err := c.dropState(parts[0] + "/" + parts[1]); err != nil {
			return err
		}
	}
	return nil
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
