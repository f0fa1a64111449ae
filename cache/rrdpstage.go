package cache

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// Prefixes of the staging directories beside the repositories in the rrdp
// area. The leading dot keeps them apart from RRDPDir names and tells
// Sweep and Open they are the cache's own.
const (
	stagePrefix = ".stage-"
	oldPrefix   = ".old-"
)

// RRDPStage is one sync of an RRDP repository in progress. Everything it
// writes goes to a staging directory, so the repository's copy and state
// stay exactly as they were until Commit: a sync that fails part way, or
// a run killed during it, loses nothing (RFC 8182 §3.4.1 lets a relying
// party keep using its copy). Files are written without an fsync each;
// Commit makes them durable with one syncfs before anything points at
// them. An RRDPStage is not safe for concurrent use.
type RRDPStage struct {
	c         *Cache
	notify    string
	dir       string          // rrdp/<RRDPDir>, below the root
	stage     string          // rrdp/.stage-<RRDPDir>
	delta     bool            // applied over the copy; else a snapshot replacing it
	withdrawn map[string]bool // delta: paths removed from the copy
	made      map[string]bool // directories of the stage known to exist
	buf       bytes.Buffer    // the object being written, read whole first
}

// maxStageObject bounds one object a stage holds in memory before
// writing it; the RRDP parser's own limit (8 MB) is far below.
const maxStageObject = 16 << 20

// BeginRRDP starts a sync of the repository of notifyURI: a snapshot
// that will replace the copy, or (delta) changes over it.
func (c *Cache) BeginRRDP(notifyURI string, delta bool) (*RRDPStage, error) {
	d := RRDPDir(notifyURI)
	s := &RRDPStage{c: c, notify: notifyURI, dir: string(AreaRRDP) + "/" + d,
		stage: string(AreaRRDP) + "/" + stagePrefix + d, delta: delta,
		withdrawn: make(map[string]bool), made: make(map[string]bool)}
	if err := c.root.RemoveAll(s.stage); err != nil {
		return nil, fmt.Errorf("cache: rrdp stage of %s: %w", notifyURI, err)
	}
	if err := c.mkdirAll(s.stage); err != nil {
		return nil, fmt.Errorf("cache: rrdp stage of %s: %w", notifyURI, err)
	}
	return s, nil
}

// Write stores the contents of r as the file rel (a URI.Path) in the
// stage. On error the file may be left half written in the stage, which
// Abort removes.
func (s *RRDPStage) Write(rel string, r io.Reader) error {
	if err := checkStageRel(rel); err != nil {
		return err
	}
	n := s.stage + "/" + rel
	// The content is decoded into memory first, so that the file system
	// work below is short: it is done under the cache's creation lock.
	s.buf.Reset()
	if m, err := s.buf.ReadFrom(io.LimitReader(r, maxStageObject+1)); err != nil {
		return err
	} else if m > maxStageObject {
		return fmt.Errorf("cache: write %s: object larger than %d bytes", n, maxStageObject)
	}
	s.c.createMu.Lock()
	defer s.c.createMu.Unlock()
	// A snapshot's files share a few directories: each is made once.
	if dir := parent(n); !s.made[dir] {
		if err := s.c.mkdirAll(dir); err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		s.made[dir] = true
	}
	if err := s.c.writeNew(n, bytes.NewReader(s.buf.Bytes())); err != nil {
		return fmt.Errorf("cache: write %s: %w", n, err)
	}
	delete(s.withdrawn, rel)
	return nil
}

// Withdraw removes the file rel as the sync sees it: from the stage, and
// in a delta from the copy at Commit.
func (s *RRDPStage) Withdraw(rel string) error {
	if err := checkStageRel(rel); err != nil {
		return err
	}
	if err := s.c.root.Remove(s.stage + "/" + rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: %w", err)
	}
	if s.delta {
		s.withdrawn[rel] = true
	}
	return nil
}

// Open opens the file rel as the sync sees it: written in this sync, or
// for a delta the copy's, unless withdrawn. A file that is neither gives
// an error matching fs.ErrNotExist.
func (s *RRDPStage) Open(rel string) (*os.File, error) {
	if err := checkStageRel(rel); err != nil {
		return nil, err
	}
	f, err := s.c.openRead(s.stage + "/" + rel)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !s.delta || s.withdrawn[rel] {
		return f, err
	}
	return s.c.openRead(s.dir + "/" + rel)
}

// checkStageRel checks a path given to a stage as name does.
func checkStageRel(rel string) error {
	if err := checkRel(rel); err != nil {
		return fmt.Errorf("%w: rrdp %q: %v", ErrBadPath, rel, err)
	}
	return nil
}

// Abort drops the stage; the copy and its state are untouched.
func (s *RRDPStage) Abort() error {
	return s.c.root.RemoveAll(s.stage)
}

// Commit makes the stage the repository's copy and st its state.
//
// A snapshot: the stage, with st inside, replaces the copy's directory by
// two renames; a crash between them leaves no copy and no state, and the
// next sync loads a snapshot. A delta: the copy's state is first made
// empty, then staged files are renamed into the copy and withdrawn ones
// removed, then st is saved; a crash in between leaves the empty state,
// so the next sync loads a snapshot rather than trust a half-applied copy.
func (s *RRDPStage) Commit(st *RRDPState) error {
	if err := s.commit(st); err != nil {
		return fmt.Errorf("cache: rrdp commit of %s: %w", s.notify, err)
	}
	return nil
}

func (s *RRDPStage) commit(st *RRDPState) error {
	if err := s.c.syncfs(); err != nil { // every staged file durable at once
		return err
	}
	if !s.delta {
		if err := s.c.saveState(s.stage, s.notify, st); err != nil {
			return err
		}
		old := string(AreaRRDP) + "/" + oldPrefix + RRDPDir(s.notify)
		if err := s.c.root.RemoveAll(old); err != nil {
			return err
		}
		if err := s.c.dropState(s.dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := s.c.root.Rename(s.dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := s.c.root.Rename(s.stage, s.dir); err != nil {
			return err
		}
		if err := s.c.syncDir(string(AreaRRDP)); err != nil {
			return err
		}
		return s.c.root.RemoveAll(old)
	}
	if err := s.c.saveState(s.dir, s.notify, &RRDPState{}); err != nil {
		return err
	}
	var moves []string
	err := fs.WalkDir(s.c.root.FS(), s.stage, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			moves = append(moves, strings.TrimPrefix(p, s.stage+"/"))
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, rel := range moves {
		dst := s.dir + "/" + rel
		if err := s.c.mkdirAll(path.Dir(dst)); err != nil {
			return err
		}
		if err := s.c.root.Rename(s.stage+"/"+rel, dst); err != nil {
			return err
		}
	}
	for rel := range s.withdrawn {
		if err := s.c.root.Remove(s.dir + "/" + rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := s.c.syncfs(); err != nil { // the renames and removals durable
		return err
	}
	if err := s.c.saveState(s.dir, s.notify, st); err != nil {
		return err
	}
	return s.c.root.RemoveAll(s.stage)
}

// syncfs makes every file written so far durable: one sync(2) instead of
// an fsync per file of a snapshot with 100,000 objects. (syncfs(2) would
// flush only the cache's file system, but package syscall lacks it.)
func (c *Cache) syncfs() error {
	syscall.Sync()
	return nil
}

// removeStages drops the staging and old copies a killed run left in the
// rrdp area; Open calls it under the lock.
func (c *Cache) removeStages() error {
	d, err := c.root.Open(string(AreaRRDP))
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, n := range names {
		if strings.HasPrefix(n, stagePrefix) || strings.HasPrefix(n, oldPrefix) {
			if err := c.root.RemoveAll(string(AreaRRDP) + "/" + n); err != nil {
				return err
			}
		}
	}
	return nil
}
