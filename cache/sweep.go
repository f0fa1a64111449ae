package cache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
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
// anything else writes to the cache.
func (c *Cache) Sweep(keep func(area Area, relpath string) bool) (removed int, err error) {
	for _, a := range areas {
		n, err := c.sweepArea(a, keep)
		removed += n
		if err != nil {
			return removed, fmt.Errorf("cache: sweep %s: %w", a, err)
		}
	}
	return removed, nil
}

// sweepArea sweeps one area: first decide, then remove states, files and
// empty directories in that order.
func (c *Cache) sweepArea(a Area, keep func(Area, string) bool) (int, error) {
	var drop, dirs []string
	err := fs.WalkDir(c.root.FS(), string(a), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := strings.CutPrefix(p, string(a)+"/")
		switch {
		case p == string(a):
		case d.IsDir():
			dirs = append(dirs, p)
		case a == AreaRRDP && isStateFile(rel):
		case !d.Type().IsRegular() || checkRel(rel) != nil || !keep(a, rel):
			drop = append(drop, p)
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
	}
	removed := 0
	for _, p := range drop {
		if err := c.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, err
		}
		removed++
	}
	return removed, c.removeEmptyDirs(dirs)
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

// removeEmptyDirs removes the directories of dirs that are empty, deepest
// first. dirs is in the walk's lexical pre-order, so reversed it lists
// every directory after its subdirectories.
func (c *Cache) removeEmptyDirs(dirs []string) error {
	for _, d := range slices.Backward(dirs) {
		f, err := c.root.Open(d)
		if err != nil {
			return err
		}
		names, err := f.Readdirnames(1)
		f.Close()
		if len(names) > 0 {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if err := c.root.Remove(d); err != nil {
			return err
		}
	}
	return nil
}
