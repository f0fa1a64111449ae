package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrLocked is matched (with errors.Is) by the error Open returns when
// another tally holds the cache lock.
var ErrLocked = errors.New("cache is locked")

// lockedError says which cache is busy and which file holds its lock.
type lockedError struct {
	dir, lock string
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("cache %s is in use by another tally (lock %s)", e.dir, e.lock)
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// lockDir takes an exclusive, non-blocking flock on the lock file. flock
// locks belong to the open file description, so a second Open in the same
// process conflicts just as another process does, and the kernel drops
// the lock when the process dies, so a killed run never leaves the cache
// locked. Go opens files close-on-exec, so rsync children do not inherit it.
func lockDir(root *os.Root, dir string) (*os.File, error) {
	lockPath := filepath.Join(dir, lockName)
	f, err := root.OpenFile(lockName, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return nil, fmt.Errorf("cache lock: %w", err)
	}
	err = flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, &lockedError{dir: dir, lock: lockPath}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cache lock %s: %w", lockPath, err)
	}
	return f, nil
}

// unlock releases the lock and closes its file.
func unlock(f *os.File) error {
	err := flock(f, syscall.LOCK_UN)
	return errors.Join(err, f.Close())
}

// flock calls flock(2) on f, retrying on EINTR.
func flock(f *os.File, how int) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = raw.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), how)
			if ferr != syscall.EINTR {
				return
			}
		}
	})
	return errors.Join(err, ferr)
}
