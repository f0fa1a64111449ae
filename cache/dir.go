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
			d.other[k] = bytes.Clone(data)
		} else {
			if d.pre == nil {
				d.pre = make(map[string][]byte, len(names))
			}
			d.pre[k.Rel] = bytes.Clone(data)
		}
		return nil
	})
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

// Close releases the directory.
func (d *Dir) Close() error {
	if d.fd < 0 {
		return nil
	}
	err := closeFD(d.fd)
	d.fd = -1
	return err
}
