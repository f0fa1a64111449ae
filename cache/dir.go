package cache

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"syscall"
)

// Dir is one directory of the cache held open, whose files are read by
// name relative to it: where openat2 is available, one lookup of a single
// path component each instead of resolving the whole path from the cache
// directory every time. A Dir is for one goroutine at a time.
type Dir struct {
	c    *Cache
	fd   int // -1 without openat2: files are then read by path
	area Area
	rel  string
	name string // area/rel, below the root
	// names is what List found, once it has been called: the
	// directory is read once.
	names  []string
	listed bool
	// pre and other hold files read ahead by Prefetch until ReadFile and
	// ReadOther take them.
	pre   map[string][]byte
	other map[Path][]byte
	// chunks are the blocks of memory (Cache.getChunk) holding the files
	// Prefetch read, given back by Close; free is what is left of the
	// last one.
	chunks [][]byte
	free   []byte
}

// OpenDir opens the directory area/relpath. A missing directory gives an
// error matching fs.ErrNotExist.
func (c *Cache) OpenDir(area Area, relpath string) (*Dir, error) {
	n, err := name(area, relpath)
	if err != nil {
		return nil, err
	}
	fd, err := c.openat2(n, os.O_RDONLY|syscall.O_DIRECTORY)
	if err == errNoOpenat2 {
		if _, err := c.root.Lstat(n); err != nil {
			return nil, err
		}
		return &Dir{c: c, fd: -1, area: area, rel: relpath, name: n}, nil
	}
	if err != nil {
		return nil, err
	}
	return &Dir{c: c, fd: fd, area: area, rel: relpath, name: n}, nil
}

// ReadFile reads the regular file file directly in the directory; a
// missing one gives an error matching fs.ErrNotExist. The bytes of a file
// Prefetch read are valid only until Close (see Prefetch).
func (d *Dir) ReadFile(file string) ([]byte, error) {
	if data, ok := d.pre[file]; ok { // only valid names were read ahead
		delete(d.pre, file)
		return data, nil
	}
	if !validName(file) {
		return nil, fmt.Errorf("%w: bad file name %q", ErrBadPath, file)
	}
	if d.fd < 0 {
		return d.c.ReadFile(d.area, d.rel+"/"+file)
	}
	return d.c.readAt(d.fd, d.name, file)
}

// Prefetch reads the files names of the directory ahead, in batches of
// one system call each where the kernel has io_uring, for ReadFile to
// return, and with them the files others (each below the cache directory,
// such as the validated copy of one of the directory's files) for
// ReadOther. Each file is returned once. Whatever it does not read (a
// missing or large file, a bad name, no io_uring) ReadFile and ReadOther
// read themselves, with the same rules and errors.
//
// The files it reads are copied into blocks of memory that Close gives
// back for other directories to reuse: their bytes are valid only until
// Close, and a caller copies what it keeps longer. A run reads hundreds of
// thousands of files, most of which nothing keeps once their publication
// point is done; allocating each on its own made a third of all the
// memory a run allocated, and of the garbage collector's work.
func (d *Dir) Prefetch(names []string, others ...Path) {
	if d.fd < 0 {
		return
	}
	var files []ringFile
	var keys []Path // Area "" for a file of the directory
	for _, n := range names {
		if validName(n) {
			files = append(files, ringFile{d.fd, n})
			keys = append(keys, Path{Rel: n})
		}
	}
	if root := d.c.dirfd; root != nil {
		for _, o := range others {
			if n, err := name(o.Area, o.Rel); err == nil {
				files = append(files, ringFile{int(root.Fd()), n})
				keys = append(keys, o)
			}
		}
	}
	d.c.ringRead(files, func(i int, data []byte) error {
		if k := keys[i]; k.Area != "" {
			if d.other == nil {
				d.other = make(map[Path][]byte, len(others))
			}
			d.other[k] = d.hold(data)
		} else {
			if d.pre == nil {
				d.pre = make(map[string][]byte, len(names))
			}
			d.pre[k.Rel] = d.hold(data)
		}
		return nil
	})
}

// hold copies data (a file the ring read, at most ringSlotSize bytes) to
// the directory's blocks of memory.
func (d *Dir) hold(data []byte) []byte {
	if len(data) > len(d.free) {
		if len(data) > chunkSize {
			return bytes.Clone(data) // not from the ring: never happens
		}
		d.free = d.c.getChunk()
		d.chunks = append(d.chunks, d.free)
	}
	b := d.free[:len(data):len(data)]
	copy(b, data)
	d.free = d.free[len(data):]
	return b
}

// Path is a file below the cache directory: relpath in area.
type Path struct {
	Area Area
	Rel  string
}

// ReadOther reads the regular file relpath of area, as Cache.ReadFile
// does, taking it from what Prefetch read when it is there.
func (d *Dir) ReadOther(area Area, relpath string) ([]byte, error) {
	k := Path{area, relpath}
	if data, ok := d.other[k]; ok {
		delete(d.other, k)
		return data, nil
	}
	return d.c.ReadFile(area, relpath)
}

// List returns the names of the regular files directly in the directory,
// sorted. The directory is read once: later calls return the same names.
func (d *Dir) List() ([]string, error) {
	if d.fd < 0 {
		return d.c.ListFiles(d.area, d.rel)
	}
	if d.listed {
		return slices.Clone(d.names), nil
	}
	names, err := d.c.listFD(d.fd, d.name)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	d.names, d.listed = names, true
	return slices.Clone(names), nil
}

// Close releases the directory, and the memory of the files Prefetch
// read, which other directories then reuse.
func (d *Dir) Close() error {
	for _, c := range d.chunks {
		c = c[:cap(c)]
		d.c.chunks.Put(&c)
	}
	d.chunks, d.free, d.pre, d.other = nil, nil, nil, nil
	if d.fd < 0 {
		return nil
	}
	err := closeFD(d.fd)
	d.fd = -1
	return err
}
