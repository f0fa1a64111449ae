//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package cache

import (
	"bytes"
	"encoding/binary"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Linux openat2(2) (5.6 and later) resolves a path in the kernel under
// rules that make the walk of os.Root unnecessary: RESOLVE_BENEATH (no
// "..", no absolute path, nothing outside the directory),
// RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS. The system call number is
// the same on every architecture of the generic table.
const (
	sysOpenat2          = 437
	resolveNoMagiclinks = 0x02
	resolveNoSymlinks   = 0x04
	resolveBeneath      = 0x08
	oPath               = 0x200000 // O_PATH
)

type openHow struct {
	flags   uint64
	mode    uint64
	resolve uint64
}

// openat2Missing is set once openat2 turns out to be unavailable
// (ENOSYS: an old kernel; EPERM: a seccomp filter that refuses it).
var openat2Missing atomic.Bool

// openBeneath opens name below the cache directory with openat2, or
// fails with errNoOpenat2 when that is not available and the caller must
// use os.Root.
func (c *Cache) openBeneath(name string, flags int) (*os.File, error) {
	if c.dirfd == nil || openat2Missing.Load() {
		return nil, errNoOpenat2
	}
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: name, Err: err}
	}
	how := openHow{flags: uint64(flags | syscall.O_CLOEXEC), resolve: resolveBeneath | resolveNoSymlinks | resolveNoMagiclinks}
	for {
		fd, _, errno := syscall.Syscall6(sysOpenat2, c.dirfd.Fd(), uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		switch {
		case errno == 0:
			return os.NewFile(fd, c.dir+"/"+name), nil
		case errno == syscall.EINTR:
			continue
		case errno == syscall.ENOSYS || errno == syscall.EPERM:
			openat2Missing.Store(true)
			return nil, errNoOpenat2
		}
		return nil, &os.PathError{Op: "openat2", Path: name, Err: errno}
	}
}

// dirInodes lists the regular files of the directory name (below the
// root) with their inode numbers, read straight from getdents(2): a
// handful of system calls for a whole publication point, where stat per
// file would take several each. ok is false when the directory cannot be
// read this way; dev is its device.
func (c *Cache) dirInodes(name string) (inodes map[string]uint64, dev uint64, ok bool) {
	d, err := c.openBeneath(name, os.O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return nil, 0, false
	}
	defer d.Close()
	fi, err := d.Stat()
	if err != nil {
		return nil, 0, false
	}
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat {
		return nil, 0, false
	}
	inodes = make(map[string]uint64)
	buf := make([]byte, 32<<10)
	for {
		n, err := syscall.ReadDirent(int(d.Fd()), buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, 0, false
		}
		if n <= 0 {
			return inodes, uint64(st.Dev), true
		}
		// struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16,
		// d_type u8, d_name NUL-terminated.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				return nil, 0, false
			}
			if b[18] == syscall.DT_REG {
				nameBytes := b[19:reclen]
				if i := bytes.IndexByte(nameBytes, 0); i >= 0 {
					nameBytes = nameBytes[:i]
				}
				inodes[string(nameBytes)] = binary.NativeEndian.Uint64(b[0:8])
			}
			b = b[reclen:]
		}
	}
}
