package cache

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
)

// openRead opens name (below the root) for reading, never through a
// symbolic link and never outside the cache. It takes one openat2 system
// call where the kernel has it (see beneath_linux.go); os.Root, which it
// falls back to, opens every path component in turn, which for the
// hundreds of thousands of files of a run costs millions of system calls.
func (c *Cache) openRead(name string) (*os.File, error) {
	f, err := c.openBeneath(name, os.O_RDONLY)
	if err == errNoOpenat2 {
		return c.root.Open(name)
	}
	return f, err
}

// errNoOpenat2 says openBeneath cannot be used here.
var errNoOpenat2 = errors.New("openat2 not available")

// readFile reads name (below the root) whole, as openRead opens it.
func (c *Cache) readFile(name string) ([]byte, error) {
	if data, err := c.readBeneath(name); err != errNoOpenat2 {
		return data, err
	}
	f, err := c.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil {
		buf.Grow(int(fi.Size()) + bytes.MinRead) // one allocation, EOF seen without growing
	}
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// lstat returns the information of name (below the root) without
// following a symbolic link at its end; one that is in its way gives an
// error.
func (c *Cache) lstat(name string) (fs.FileInfo, error) {
	f, err := c.openBeneath(name, oPath|os.O_RDONLY)
	if err == errNoOpenat2 {
		return c.root.Lstat(name)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Stat()
}
