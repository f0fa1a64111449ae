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
// The valid area is not walked when validKeep (a fingerprint of what keep
// keeps there, "" for none) is the one of the last complete sweep and
// nothing was promoted since: only promotion adds to the valid area, so
// it holds exactly what that sweep left, and keep would keep all of it.
// A walk of every validated file is the largest part of a sweep.
//
// Sweep returns the number of files removed. It must not run while
// anything else writes to the cache. keep is called from several
// goroutines at once.
func (c *Cache) Sweep(keep func(area Area, relpath string) bool, validKeep string) (removed int, err error) {
	skipValid := validKeep != "" && !c.validChanged() && c.lastValidKeep() == validKeep
	// The areas are independent: swept at once, keep called from as
	// many goroutines.
	var wg sync.WaitGroup
	counts := make([]int, len(areas))
	errs := make([]error, len(areas))
	for i, a := range areas {
		if a == AreaValid && skipValid {
			continue
		}
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
	if err := errors.Join(errs...); err != nil {
		return removed, err
	}
	if !skipValid && validKeep != "" {
		// The order matters: a crash between the two leaves the marker,
		// and the next sweep walks.
		if err := c.writeTop(validSweptName, []byte(validKeep)); err != nil {
			return removed, err
		}
		if err := c.root.Remove(validChangedName); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, err
		}
	}
	return removed, nil
}

// Top-level files of the cache that let Sweep skip the valid area.
const (
	// validSweptName holds the validKeep of the last complete sweep.
	validSweptName = "valid-swept"
	// validChangedName exists from the first promotion after a sweep on,
	// made before anything in the valid area changes.
	validChangedName = "valid-changed"
)

// markValidChanged records, once per Cache, that the valid area is about
// to change.
func (c *Cache) markValidChanged() error {
	if c.validMarked.Load() {
		return nil
	}
	c.markMu.Lock()
	defer c.markMu.Unlock()
	if c.validMarked.Load() {
		return nil
	}
	f, err := c.root.OpenFile(validChangedName, os.O_WRONLY|os.O_CREATE, filePerm)
	if err != nil {
		return fmt.Errorf("cache: %s: %w", validChangedName, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := c.syncDir("."); err != nil { // the marker must outlive a power cut
		return err
	}
	c.validMarked.Store(true)
	return nil
}

func (c *Cache) validChanged() bool {
	_, err := c.root.Lstat(validChangedName)
	return !errors.Is(err, fs.ErrNotExist)
}

func (c *Cache) lastValidKeep() string {
	data, err := c.root.ReadFile(validSweptName)
	if err != nil {
		return ""
	}
	return string(data)
}

// sweepArea sweeps one area: first decide, then remove states, files and
// the directories left empty, in that order.
//
// The walk reads raw directory listings (getdents on Linux) on a few
// goroutines: it never follows a symbolic link it finds, and costs one
// open per directory. Removals go through os.Root.
func (c *Cache) sweepArea(a Area, keep func(Area, string) bool) (int, error) {
	if a == AreaRRDP {
		return c.sweepRRDP(keep)
	}
	var (
		mu   sync.Mutex
		drop []string           // files to remove
		dirs []string           // every directory below the area
		left = map[string]int{} // directory → entries it keeps
	)
	err := c.walkDirs(string(a), func(dir string, entries []dirEntry) {
		var myDrop []string
		kept := 0
		for _, e := range entries {
			p := dir + "/" + e.name
			rel := strings.TrimPrefix(p, string(a)+"/")
			switch {
			case e.kind == kindDir:
				kept++
			case e.kind != kindFile || checkRel(rel) != nil || !keep(a, rel):
				myDrop = append(myDrop, p)
			default:
				kept++
			}
		}
		mu.Lock()
		defer mu.Unlock()
		drop = append(drop, myDrop...)
		left[dir] = kept
		if dir != string(a) {
			dirs = append(dirs, dir)
		}
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
	slices.Sort(dirs)
	return removed, c.removeEmptyDirs(dirs, left)
}

// sweepWorkers is how many directories a sweep lists at once: listing is
// system calls, which overlap well.
const sweepWorkers = 4

type dirEntry struct {
	name string
	kind byte
}

const (
	kindFile  = 1 // a regular file
	kindDir   = 2 // a directory
	kindOther = 3 // anything else: a link, a device, a socket
)

// walkDirs calls visit for top (a directory below the root) and every
// directory below it, with its entries, from several goroutines. It does
// not follow symbolic links.
func (c *Cache) walkDirs(top string, visit func(dir string, entries []dirEntry)) error {
	var (
		mu       sync.Mutex
		cond     = sync.NewCond(&mu)
		queue    = []string{top}
		busy     int
		firstErr error
	)
	var wg sync.WaitGroup
	for range sweepWorkers {
		wg.Go(func() {
			mu.Lock()
			defer mu.Unlock()
			for {
				for len(queue) == 0 && busy > 0 && firstErr == nil {
					cond.Wait()
				}
				if len(queue) == 0 || firstErr != nil {
					cond.Broadcast()
					return
				}
				dir := queue[len(queue)-1]
				queue = queue[:len(queue)-1]
				busy++
				mu.Unlock()
				entries, err := c.readDirEntries(dir)
				if err == nil {
					visit(dir, entries)
				}
				mu.Lock()
				busy--
				if err != nil && firstErr == nil {
					firstErr = err
				}
				for _, e := range entries {
					if e.kind == kindDir {
						queue = append(queue, dir+"/"+e.name)
					}
				}
				cond.Broadcast()
			}
		})
	}
	wg.Wait()
	return firstErr
}

// readDirEntries lists the directory name (below the root) with the kind
// of each entry, raw from getdents where it can, else through os.Root.
func (c *Cache) readDirEntries(name string) ([]dirEntry, error) {
	entries, err := c.direntsAll(name)
	if err != errNoOpenat2 {
		return entries, err
	}
	list, err := fs.ReadDir(c.root.FS(), name)
	if err != nil {
		return nil, err
	}
	entries = make([]dirEntry, 0, len(list))
	for _, e := range list {
		k := byte(kindOther)
		switch {
		case e.Type().IsRegular():
			k = kindFile
		case e.IsDir():
			k = kindDir
		}
		entries = append(entries, dirEntry{name: e.Name(), kind: k})
	}
	return entries, nil
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
