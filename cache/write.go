package cache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// Writer streams a new version of one cache file. Nothing is visible
// under the file's name until Commit; Abort (or a crash) leaves the old
// version in place. A Writer is not safe for concurrent use.
type Writer struct {
	c    *Cache
	f    *os.File
	tmp  string // name of the temporary file below the root
	dst  string // name of the target below the root
	done bool
}

// Create starts writing area/relpath. The caller must call Commit or
// Abort; deferring Abort after a successful Commit is harmless.
func (c *Cache) Create(area Area, relpath string) (*Writer, error) {
	dst, err := name(area, relpath)
	if err != nil {
		return nil, err
	}
	f, tmp, err := c.createTemp()
	if err != nil {
		return nil, err
	}
	return &Writer{c: c, f: f, tmp: tmp, dst: dst}, nil
}

// Write writes to the temporary file.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("cache: write after commit or abort")
	}
	return w.f.Write(p)
}

// Commit syncs the data, renames the temporary file over the target and
// syncs the target's directory. On error the old version stays in place
// and the temporary file is removed.
func (w *Writer) Commit() error {
	if w.done {
		return errors.New("cache: commit after commit or abort")
	}
	w.done = true
	if err := w.c.commitTemp(w.f, w.tmp, w.dst); err != nil {
		return fmt.Errorf("cache: write %s: %w", w.dst, err)
	}
	return nil
}

// Abort drops the temporary file. After Commit it does nothing.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	return errors.Join(w.f.Close(), w.c.root.Remove(w.tmp))
}

// WriteFile replaces area/relpath with data, crash-safely: temporary
// file, fsync, rename, fsync of the directory.
func (c *Cache) WriteFile(area Area, relpath string, data []byte) error {
	w, err := c.Create(area, relpath)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return errors.Join(fmt.Errorf("cache: write %s/%s: %w", area, relpath, err), w.Abort())
	}
	return w.Commit()
}

// tempName returns a fresh random name in the temporary directory.
func (c *Cache) tempName() string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand documents it)
	return tmpDir + "/" + hex.EncodeToString(b[:])
}

// Flush makes everything written to the cache durable (sync(2)); main
// calls it once a run's promotions are done, instead of an fsync per file.
func (c *Cache) Flush() error {
	return c.syncfs()
}

// createTemp creates a new empty file in the temporary directory. The
// name is random so concurrent writers never collide.
func (c *Cache) createTemp() (*os.File, string, error) {
	var b [12]byte
	for range 3 {
		rand.Read(b[:]) // never fails (crypto/rand documents it)
		tmp := tmpDir + "/" + hex.EncodeToString(b[:])
		f, err := c.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("cache: %w", err)
		}
		return f, tmp, nil
	}
	return nil, "", errors.New("cache: cannot create a temporary file")
}

// commitTemp syncs and closes f (the temporary file tmp), creates dst's
// directory and renames tmp to dst, then syncs that directory. On error
// tmp is removed.
func (c *Cache) commitTemp(f *os.File, tmp, dst string) error {
	err := errors.Join(f.Sync(), f.Close())
	if err == nil {
		err = c.mkdirAll(parent(dst))
	}
	if err == nil {
		err = c.root.Rename(tmp, dst)
	}
	if err != nil {
		if rerr := c.root.Remove(tmp); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return err
	}
	return c.syncDir(parent(dst))
}

// copyToTemp copies r into a new temporary file, synced if sync is set,
// and returns its name.
func (c *Cache) copyToTemp(r io.Reader, sync bool) (string, error) {
	f, tmp, err := c.createTemp()
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, r)
	if err == nil && sync {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err != nil {
		return "", errors.Join(err, c.root.Remove(tmp))
	}
	return tmp, nil
}

// writeNew creates (or truncates) the file n below the root and copies r
// into it, with one openat2 where the kernel has it.
func (c *Cache) writeNew(n string, r io.Reader) error {
	fd, err := c.createBeneath(n)
	if err == errNoOpenat2 {
		f, err := c.root.OpenFile(n, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, filePerm)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		return errors.Join(err, f.Close())
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(fd, r)
	return errors.Join(err, fd.Close())
}
