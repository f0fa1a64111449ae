// Package cache owns tally's on-disk cache: the lock that keeps two runs
// out of one directory, the download areas, the validated store, the
// mapping from untrusted URIs to relative paths, and the RRDP state files.
//
// It knows nothing of RPKI objects and never touches the network. Every
// file access goes through an os.Root opened on the cache directory, so no
// path, and no symbolic link planted in the cache, can reach a file
// outside it. Every write is a temporary file that is synced and renamed
// into place, so a run killed at any point leaves a usable cache.
//
// Layout under the cache directory:
//
//	.lock                      flock held by the running tally
//	.tmp/                      temporary files; emptied by Open
//	.journal/                  pending promotions; replayed by Open
//	rrdp/<sha256 of notify>/   one RRDP repository: .state.json and its files
//	rrdp/.stage-<sha256>/      a sync in progress; becomes the above at commit
//	rsync/<host>/<path>        what rsync last brought
//	ta/https/<host>/<path>     trust anchor certificates as last downloaded
//	ta/rsync/<host>/<path>
//	ta/valid/<scheme>/<host>/<path>  the last that validated, per TAL URI
//	valid/<host>/<path>        files of publication points that validated
//
// Names beginning with a dot are the cache's own; ParseURI refuses such
// path segments, so no URI can collide with them.
package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
)

// Area is one top-level part of the cache.
type Area string

// The cache's areas. Relative paths inside the rsync and valid areas are
// URI.Path values; inside the rrdp area they begin with RRDPDir.
const (
	AreaRRDP  Area = "rrdp"
	AreaRsync Area = "rsync"
	AreaTA    Area = "ta"
	AreaValid Area = "valid"
)

// areas lists every area in the order Sweep visits them.
var areas = [...]Area{AreaRRDP, AreaRsync, AreaTA, AreaValid}

// Names of the cache's own files and directories at its top.
const (
	lockName    = ".lock"
	tmpDir      = ".tmp"
	journalDir  = ".journal"
	dirPerm     = 0o755
	filePerm    = 0o644
	maxRelPath  = 4096 // PATH_MAX; longer than any URI.Path
	maxNameSize = 255  // NAME_MAX
)

// ErrBadPath is wrapped by every error about a relative path the cache
// refuses before touching the file system.
var ErrBadPath = errors.New("bad cache path")

// Cache is an open, locked cache directory. Its methods are safe for
// concurrent use, as long as two goroutines do not write the same file or
// promote the same publication point at once.
type Cache struct {
	dir  string   // absolute path of the cache directory
	root *os.Root // every file access goes through it, or through dirfd
	lock *os.File // holds the flock until Close
	// dirfd is the cache directory, for openat2 (beneath_linux.go), which
	// reads files with the same guarantees as root in one system call.
	dirfd *os.File
	// bufs holds read buffers of readBufSize bytes, one per reader at a
	// time, so reading a small file takes no fstat to size it.
	bufs sync.Pool
	// chunks holds chunkSize blocks of memory that Dir.Prefetch copies
	// files into, given back when the Dir is closed.
	chunks sync.Pool
	// readdirFills is set when the cache is on a file system whose
	// getdents fills the buffer up to the end of the directory (ext4,
	// xfs, btrfs, tmpfs, overlayfs): a listing then ends at the first
	// read that leaves room for another entry, without the read that
	// returns nothing (one system call per directory, 40,000 a run).
	readdirFills bool
	// noOpenat2 is set once openat2 turns out to be unavailable (ENOSYS:
	// an old kernel; EPERM: a seccomp filter that refuses it).
	noOpenat2 atomic.Bool
	// validMarked is set once this Cache has made the valid-changed
	// marker (markValidChanged, under markMu).
	validMarked atomic.Bool
	markMu      sync.Mutex
	// createMu makes RRDP syncs create their files one at a time: file
	// creation contends inside the file system, and on the machines
	// measured many creators at once took several times longer each
	// than the same creations in turn.
	createMu sync.Mutex
	// rings are the idle io_uring rings of Dir.Prefetch (uring_linux.go);
	// broken keeps those whose requests did not all finish, so their
	// memory is never reused; noUring is set once the kernel refuses a
	// ring (too old, disabled, or a seccomp filter): files are then read
	// one by one.
	ringMu  sync.Mutex
	rings   []*ring
	broken  []*ring
	noUring atomic.Bool
}

// readBufSize is the size of a pooled read buffer: larger than almost
// every RPKI object (a manifest of a few thousand entries is the
// exception, read in more steps).
const readBufSize = 64 << 10

// chunkSize is the size of the blocks of memory prefetched files are
// copied into: many files each (the ring reads files of up to 32 KiB).
const chunkSize = 256 << 10

// getChunk takes a block from the pool, or makes one.
func (c *Cache) getChunk() []byte {
	if bp, ok := c.chunks.Get().(*[]byte); ok {
		return *bp
	}
	return make([]byte, chunkSize)
}

// getBuf takes a read buffer from the pool; putBuf gives it back.
func (c *Cache) getBuf() *[]byte {
	if bp, ok := c.bufs.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, readBufSize)
	return &b
}

func (c *Cache) putBuf(bp *[]byte) { c.bufs.Put(bp) }

// getRing takes an idle io_uring ring or sets one up; nil when the kernel
// has none for this process. putRing gives it back.
func (c *Cache) getRing() *ring {
	if c.noUring.Load() {
		return nil
	}
	c.ringMu.Lock()
	if n := len(c.rings); n > 0 {
		r := c.rings[n-1]
		c.rings = c.rings[:n-1]
		c.ringMu.Unlock()
		return r
	}
	c.ringMu.Unlock()
	r, err := newRing()
	if err != nil {
		c.noUring.Store(true)
		return nil
	}
	return r
}

// ringRead reads files through io_uring rings, ringSlots at a time, and
// gives fn each file read whole (by its index in files; the data is only
// valid during the call), stopping at fn's first error, which it
// returns. Without a ring it reads nothing: the files fn did not get are
// for the caller to read the ordinary way.
func (c *Cache) ringRead(files []ringFile, fn func(i int, data []byte) error) error {
	var ferr error
	for start := 0; start < len(files) && ferr == nil; start += ringSlots {
		r := c.getRing()
		if r == nil {
			break
		}
		err := r.read(files[start:min(len(files), start+ringSlots)], func(i int, data []byte) {
			if ferr == nil {
				ferr = fn(start+i, data)
			}
		})
		c.putRing(r, err)
		if err != nil {
			break
		}
	}
	return ferr
}

func (c *Cache) putRing(r *ring, err error) {
	c.ringMu.Lock()
	defer c.ringMu.Unlock()
	switch {
	case err == errRingBroken:
		c.broken = append(c.broken, r)
	case err != nil:
		r.close()
		c.noUring.Store(true)
	default:
		c.rings = append(c.rings, r)
	}
}

// Open creates dir if needed, takes the cache lock and prepares the
// areas. A cache already locked by another tally (or by another Open in
// this process) gives an error wrapping ErrLocked at once; Open never
// waits. Open finishes promotions a killed run left half done and removes
// its temporary files.
func Open(dir string) (*Cache, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c := &Cache{dir: abs, root: root}
	if c.lock, err = lockDir(root, abs); err != nil {
		root.Close()
		return nil, err
	}
	if c.dirfd, err = root.Open("."); err != nil {
		c.Close()
		return nil, fmt.Errorf("cache: %w", err)
	}
	c.readdirFills = readdirFills(c.dirfd)
	if err := c.prepare(); err != nil {
		c.Close()
		return nil, fmt.Errorf("cache %s: %w", abs, err)
	}
	return c, nil
}

// prepare runs under the lock: it makes the areas, replays pending
// promotions and then empties the temporary directory.
func (c *Cache) prepare() error {
	for _, a := range areas {
		if err := c.root.MkdirAll(string(a), dirPerm); err != nil {
			return err
		}
	}
	if err := c.root.MkdirAll(journalDir, dirPerm); err != nil {
		return err
	}
	// Replay before cleaning: a journal names temporary files to rename.
	if err := c.replayJournals(); err != nil {
		return err
	}
	if err := c.removeStages(); err != nil {
		return err
	}
	if err := c.root.RemoveAll(tmpDir); err != nil {
		return err
	}
	return c.root.Mkdir(tmpDir, dirPerm)
}

// Close releases the lock. The Cache must not be used afterwards.
func (c *Cache) Close() error {
	var errs []error
	if c.lock != nil {
		errs = append(errs, unlock(c.lock))
		c.lock = nil
	}
	if c.dirfd != nil {
		errs = append(errs, c.dirfd.Close())
	}
	c.ringMu.Lock()
	for _, r := range c.rings {
		r.close()
	}
	c.rings = nil
	c.ringMu.Unlock()
	errs = append(errs, c.root.Close())
	return errors.Join(errs...)
}

// Dir returns the absolute path of the cache directory.
func (c *Cache) Dir() string { return c.dir }

// name checks area and relpath and returns the slash path below the root.
func name(area Area, relpath string) (string, error) {
	if !validArea(area) {
		return "", fmt.Errorf("%w: unknown area %q", ErrBadPath, area)
	}
	if err := checkRel(relpath); err != nil {
		return "", fmt.Errorf("%w: %s/%q: %v", ErrBadPath, area, relpath, err)
	}
	return string(area) + "/" + relpath, nil
}

func validArea(a Area) bool {
	for _, b := range areas {
		if a == b {
			return true
		}
	}
	return false
}

// checkRel checks a relative path given by a caller: slash-separated,
// no empty segment, no segment beginning with a dot (that rules out "."
// and ".." and keeps the cache's own names apart), and only the bytes a
// URI segment may hold plus the brackets of an IPv6 host.
func checkRel(p string) error {
	if p == "" || len(p) > maxRelPath {
		return errors.New("empty or too long")
	}
	start := 0 // of the segment being read
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			if c := p[i]; !segmentByte(c) && c != '[' && c != ']' {
				return fmt.Errorf("character %q not allowed", c)
			}
			continue
		}
		if seg := p[start:i]; seg == "" || len(seg) > maxNameSize || seg[0] == '.' {
			return fmt.Errorf("bad segment %q", seg)
		}
		start = i + 1
	}
	return nil
}

// ReadFile returns the contents of area/relpath. A missing file gives an
// error matching fs.ErrNotExist.
func (c *Cache) ReadFile(area Area, relpath string) ([]byte, error) {
	n, err := name(area, relpath)
	if err != nil {
		return nil, err
	}
	return c.readFile(n)
}

// OpenFile opens area/relpath for reading. The caller closes it.
func (c *Cache) OpenFile(area Area, relpath string) (*os.File, error) {
	n, err := name(area, relpath)
	if err != nil {
		return nil, err
	}
	return c.openRead(n)
}

// ListFiles returns the names of the regular files directly in the
// directory area/relpath, sorted. A missing directory gives an error
// matching fs.ErrNotExist.
func (c *Cache) ListFiles(area Area, relpath string) ([]string, error) {
	n, err := name(area, relpath)
	if err != nil {
		return nil, err
	}
	entries, err := c.readDirEntries(n)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.kind == kindFile {
			names = append(names, e.name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Exists reports whether area/relpath exists, reached without a symbolic
// link: one openat2 (O_PATH) and a close where the kernel has it.
func (c *Cache) Exists(area Area, relpath string) bool {
	n, err := name(area, relpath)
	if err != nil {
		return false
	}
	fd, err := c.openat2(n, oPath|os.O_RDONLY)
	if err == errNoOpenat2 {
		_, err = c.root.Lstat(n)
		return err == nil
	}
	if err != nil {
		return false
	}
	closeFD(fd)
	return true
}

// Remove removes the file or empty directory area/relpath. A missing one
// is not an error.
func (c *Cache) Remove(area Area, relpath string) error {
	n, err := name(area, relpath)
	if err != nil {
		return err
	}
	if err := c.root.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// RemoveAll removes area/relpath and everything below it.
func (c *Cache) RemoveAll(area Area, relpath string) error {
	n, err := name(area, relpath)
	if err != nil {
		return err
	}
	return c.root.RemoveAll(n)
}

// MkdirAll creates the directory area/relpath through the root and returns
// its absolute path, for an external program such as rsync that must
// write into it. The program itself is not confined by the root; the
// caller must not give it options that follow or create symbolic links.
func (c *Cache) MkdirAll(area Area, relpath string) (string, error) {
	n, err := name(area, relpath)
	if err != nil {
		return "", err
	}
	if err := c.mkdirAll(n); err != nil {
		return "", err
	}
	return filepath.Join(c.dir, filepath.FromSlash(n)), nil
}

// syncDir fsyncs the directory dir (a name below the root), so renames
// and removals in it survive a crash.
func (c *Cache) syncDir(dir string) error {
	f, err := c.root.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// parent returns the directory part of a slash path below the root.
func parent(n string) string { return path.Dir(n) }
