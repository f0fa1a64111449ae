package cache

import (
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
// missing one gives an error matching fs.ErrNotExist.
func (d *Dir) ReadFile(file string) ([]byte, error) {
	if !validName(file) {
		return nil, fmt.Errorf("%w: bad file name %q", ErrBadPath, file)
	}
	if d.fd < 0 {
		return d.c.ReadFile(d.area, d.rel+"/"+file)
	}
	return d.c.readAt(d.fd, d.name, file)
}

// List returns the names of the regular files directly in the directory,
// sorted.
func (d *Dir) List() ([]string, error) {
	if d.fd < 0 {
		return d.c.ListFiles(d.area, d.rel)
	}
	names, err := d.c.listFD(d.fd, d.name)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return names, nil
}

// Close releases the directory.
func (d *Dir) Close() error {
	if d.fd < 0 {
		return nil
	}
	err := closeFD(d.fd)
	d.fd = -1
	return err
}
