//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
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

// openBeneath opens name below the cache directory with openat2, or
// fails with errNoOpenat2 when that is not available and the caller must
// use os.Root.
func (c *Cache) openBeneath(name string, flags int) (*os.File, error) {
	fd, err := c.openat2(name, flags)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), c.dir+"/"+name), nil
}

// openat2 is openBeneath's system call, returning the bare descriptor.
func (c *Cache) openat2(name string, flags int) (int, error) {
	if c.dirfd == nil || c.noOpenat2.Load() {
		return -1, errNoOpenat2
	}
	return c.openat2At(int(c.dirfd.Fd()), name, flags)
}

// openat2At opens name below the directory dirFD under the same rules.
func (c *Cache) openat2At(dirFD int, name string, flags int) (int, error) {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return -1, &os.PathError{Op: "openat2", Path: name, Err: err}
	}
	how := openHow{flags: uint64(flags | syscall.O_CLOEXEC), resolve: resolveBeneath | resolveNoSymlinks | resolveNoMagiclinks}
	if flags&os.O_CREATE != 0 {
		how.mode = filePerm // openat2 refuses a mode without O_CREAT
	}
	for {
		fd, _, errno := syscall.Syscall6(sysOpenat2, uintptr(dirFD), uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		switch {
		case errno == 0:
			return int(fd), nil
		case errno == syscall.EINTR:
			continue
		case errno == syscall.ENOSYS || errno == syscall.EPERM:
			c.noOpenat2.Store(true)
			return -1, errNoOpenat2
		}
		return -1, &os.PathError{Op: "openat2", Path: name, Err: errno}
	}
}

// readBeneath reads the regular file name (below the cache directory)
// whole on the bare descriptor: openat2, one read into a pooled buffer,
// close. Going through os.File would add a fcntl, an fstat and a read to
// see EOF for each of the hundreds of thousands of files a run reads.
func (c *Cache) readBeneath(name string) ([]byte, error) {
	fd, err := c.openat2(name, os.O_RDONLY|syscall.O_NONBLOCK) // a planted FIFO must not block
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	data, err := c.readFD(fd)
	return data, withPath(err, name)
}

// readFD reads the open file fd whole. Its errors are *os.PathError
// without the path, which the caller adds (withPath): building the path
// for every read would cost an allocation per file.
func (c *Cache) readFD(fd int) ([]byte, error) {
	bp := c.getBuf()
	defer c.putBuf(bp)
	n, err := readOnce(fd, *bp)
	if err != nil {
		return nil, &os.PathError{Op: "read", Err: err}
	}
	if n > 0 && n < len(*bp) {
		// A read of a regular file that does not fill the buffer has met
		// its end. (Anything else found here fills it, or is empty.)
		return append([]byte(nil), (*bp)[:n]...), nil
	}
	var st syscall.Stat_t
	if err := fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "fstat", Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, &os.PathError{Op: "read", Err: syscall.EINVAL}
	}
	if n == 0 {
		return []byte{}, nil
	}
	// A large file: the rest, sized by fstat, plus one byte to see the end.
	buf := make([]byte, n, max(int(st.Size), n)+1)
	copy(buf, *bp)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := readOnce(fd, buf[len(buf):cap(buf)])
		if err != nil {
			return nil, &os.PathError{Op: "read", Err: err}
		}
		if m == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+m]
	}
}

// withPath sets path on err when it is an *os.PathError; a nil err stays
// nil.
func withPath(err error, path string) error {
	if pe, ok := err.(*os.PathError); ok {
		pe.Path = path
	}
	return err
}

// readOnce is one read(2) into b, retried on EINTR.
func readOnce(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, b)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// createBeneath creates (or truncates) the file name below the cache
// directory for writing, in one openat2: os.Root would open every
// directory on the way.
func (c *Cache) createBeneath(name string) (io.WriteCloser, error) {
	fd, err := c.openat2(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW)
	if err != nil {
		return nil, err
	}
	return fdFile(fd), nil
}

// fdFile is a bare descriptor of a regular file being written.
type fdFile int

func (f fdFile) Write(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := syscall.Write(int(f), b[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

func (f fdFile) Close() error { return syscall.Close(int(f)) }

func fstat(fd int, st *syscall.Stat_t) error {
	for {
		err := syscall.Fstat(fd, st)
		if err != syscall.EINTR {
			return err
		}
	}
}

// dirInodes lists the regular files of the directory name (below the
// root) with their inode numbers, read straight from getdents(2): a
// handful of system calls for a whole publication point, where stat per
// file would take several each. ok is false when the directory cannot be
// read this way; dev is its device.
func (c *Cache) dirInodes(name string) (inodes map[string]uint64, dev uint64, ok bool) {
	inodes = make(map[string]uint64)
	dev, err := c.dirents(name, func(n []byte, ino uint64) { inodes[string(n)] = ino })
	if err != nil {
		return nil, 0, false
	}
	return inodes, dev, true
}

// direntsAll lists every entry of the directory name (below the root)
// but "." and "..", with its kind.
func (c *Cache) direntsAll(name string) ([]dirEntry, error) {
	var entries []dirEntry
	_, err := c.readDirents(name, false, func(n []byte, _ uint64, typ byte) {
		if string(n) == "." || string(n) == ".." {
			return
		}
		k := byte(kindOther)
		switch typ {
		case syscall.DT_REG:
			k = kindFile
		case syscall.DT_DIR:
			k = kindDir
		}
		entries = append(entries, dirEntry{name: string(n), kind: k})
	})
	return entries, err
}

// dirents calls fn with the name and inode of every regular file of the
// directory name (below the root), and returns the directory's device.
// It fails with errNoOpenat2 where openat2 is missing.
func (c *Cache) dirents(name string, fn func(name []byte, ino uint64)) (dev uint64, err error) {
	return c.readDirents(name, true, func(n []byte, ino uint64, typ byte) {
		if typ == syscall.DT_REG {
			fn(n, ino)
		}
	})
}

// readDirents calls fn with the name, inode and d_type of every entry of
// the directory name (below the root), and returns its device when
// wantDev is set (one more system call per directory; 0 otherwise).
func (c *Cache) readDirents(name string, wantDev bool, fn func(name []byte, ino uint64, typ byte)) (dev uint64, err error) {
	fd, err := c.openat2(name, os.O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	if wantDev {
		var st syscall.Stat_t
		if err := fstat(fd, &st); err != nil {
			return 0, &os.PathError{Op: "fstat", Path: name, Err: err}
		}
		dev = uint64(st.Dev)
	}
	return dev, c.direntsFD(fd, name, fn)
}

// direntsFD is readDirents on the open directory fd, without the device.
// An entry of unknown type (a file system without d_type) is given the
// type lstat finds.
func (c *Cache) direntsFD(fd int, name string, fn func(name []byte, ino uint64, typ byte)) error {
	bp := c.getBuf()
	defer c.putBuf(bp)
	buf := *bp
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "getdents", Path: name, Err: err}
		}
		if n <= 0 {
			return nil
		}
		// A file system that fills the buffer stops short of it only at
		// the end; see Cache.readdirFills.
		last := c.readdirFills && n <= len(buf)-maxDirent
		// struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16,
		// d_type u8, d_name NUL-terminated.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				return &os.PathError{Op: "getdents", Path: name, Err: syscall.EINVAL}
			}
			nameBytes := b[19:reclen]
			if i := bytes.IndexByte(nameBytes, 0); i >= 0 {
				nameBytes = nameBytes[:i]
			}
			typ := b[18]
			if typ == syscall.DT_UNKNOWN {
				typ = c.lstatType(name + "/" + string(nameBytes))
			}
			fn(nameBytes, binary.NativeEndian.Uint64(b[0:8]), typ)
			b = b[reclen:]
		}
		if last {
			return nil
		}
	}
}

// maxDirent is the largest linux_dirent64: 19 bytes, a 255-byte name and
// its NUL, aligned to 8.
const maxDirent = (19 + 256 + 7) &^ 7

// readdirFills reports whether the file system of dir is one whose
// getdents fills the buffer until the directory ends (the kernel's ext4,
// xfs, btrfs, tmpfs and overlayfs directory iterators stop only when the
// next entry does not fit). FUSE and network file systems may return
// less without being at the end, so for them, and when in doubt, a
// listing reads until getdents returns nothing.
func readdirFills(dir *os.File) bool {
	var st syscall.Statfs_t
	if err := syscall.Fstatfs(int(dir.Fd()), &st); err != nil {
		return false
	}
	switch uint32(st.Type) {
	case 0xef53, // ext2, ext3, ext4
		0x58465342, // xfs
		0x9123683e, // btrfs
		0x01021994, // tmpfs
		0x794c7630: // overlayfs
		return true
	}
	return false
}

// lstatType returns the d_type of name (below the root) as lstat sees it:
// DT_REG, DT_DIR, or DT_UNKNOWN for anything else or an error.
func (c *Cache) lstatType(name string) byte {
	fi, err := c.lstat(name)
	switch {
	case err != nil:
		return syscall.DT_UNKNOWN
	case fi.Mode().IsRegular():
		return syscall.DT_REG
	case fi.IsDir():
		return syscall.DT_DIR
	}
	return syscall.DT_UNKNOWN
}

// promoteFirst promotes a publication point whose validated copy holds no
// file yet (the first promotion, as everywhere on a cold run) by
// hard-linking each file straight into place: one linkat each, where the
// journal's way takes a link, a rename and path walks. No journal is
// needed: the manifest (the *.mft file) is linked last, and a copy
// without its manifest is no copy at all to validation, so a run killed
// part way leaves nothing a later run could mistake for a validated
// publication point. Each linked file's SHA-256 is checked as Promote
// checks it; on a mismatch the links made are removed.
//
// done is false when the directory already holds files (or cannot be
// listed): Promote then takes the journal's way.
func (c *Cache) promoteFirst(srcBase, dstBase string, files []File) (done bool, err error) {
	if c.dirfd == nil || c.noOpenat2.Load() {
		return false, nil
	}
	inodes, _, ok := c.dirInodes(dstBase)
	if ok && len(inodes) > 0 {
		return false, nil
	}
	if !ok {
		if _, err := c.lstat(dstBase); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return false, nil // there but not listable: the slow way says why
		}
		if err := c.mkdirAll(dstBase); err != nil {
			return true, err
		}
	}
	// Manifests last (Promote has checked the names).
	var rest, mfts []File
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".mft") {
			mfts = append(mfts, f)
		} else {
			rest = append(rest, f)
		}
	}
	var fds [2]int
	for i, dir := range []string{srcBase, dstBase} {
		fd, err := c.openat2(dir, oPath|syscall.O_DIRECTORY)
		if err == errNoOpenat2 {
			return false, nil
		}
		if err != nil {
			return true, err
		}
		defer syscall.Close(fd)
		fds[i] = fd
	}
	srcFD, dstFD := fds[0], fds[1]
	var linked []string
	undo := func(err error) (bool, error) {
		for _, n := range linked {
			if uerr := unlinkat(dstFD, n); uerr != nil && !errors.Is(uerr, syscall.ENOENT) {
				err = errors.Join(err, uerr)
			}
		}
		return true, err
	}
	for _, group := range [][]File{rest, mfts} {
		names := make([]string, len(group))
		for i, f := range group {
			// linkat without AT_SYMLINK_FOLLOW links a symbolic link
			// itself, never its target; the read below refuses anything
			// not regular.
			if err := linkat(srcFD, f.Name, dstFD, f.Name); err != nil {
				return undo(&os.LinkError{Op: "linkat", Old: srcBase + "/" + f.Name, New: dstBase + "/" + f.Name, Err: err})
			}
			linked = append(linked, f.Name)
			names[i] = f.Name
		}
		err := c.eachFileAt(dstFD, dstBase, names, func(i int, data []byte) error {
			if sha256.Sum256(data) != group[i].Hash {
				return fmt.Errorf("%s/%s: %w", srcBase, group[i].Name, ErrHashMismatch)
			}
			return nil
		})
		if err != nil {
			return undo(err)
		}
	}
	return true, nil
}

// eachFileAt reads the regular files names of the directory dirFD (dir in
// errors) whole and gives each to fn, in no particular order, stopping at
// the first error: through an io_uring ring in batches where there is
// one, the files it does not read whole one by one. The data fn gets is
// only valid during the call.
func (c *Cache) eachFileAt(dirFD int, dir string, names []string, fn func(i int, data []byte) error) error {
	files := make([]ringFile, len(names))
	for i, n := range names {
		files[i] = ringFile{dirFD, n}
	}
	done := make([]bool, len(names))
	err := c.ringRead(files, func(i int, data []byte) error {
		done[i] = true
		return fn(i, data)
	})
	if err != nil {
		return err
	}
	for i, n := range names {
		if done[i] {
			continue
		}
		data, err := c.readAt(dirFD, dir, n)
		if err != nil {
			return err
		}
		if err := fn(i, data); err != nil {
			return err
		}
	}
	return nil
}

func linkat(oldDirFD int, oldName string, newDirFD int, newName string) error {
	p1, err := syscall.BytePtrFromString(oldName)
	if err != nil {
		return err
	}
	p2, err := syscall.BytePtrFromString(newName)
	if err != nil {
		return err
	}
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_LINKAT, uintptr(oldDirFD), uintptr(unsafe.Pointer(p1)),
			uintptr(newDirFD), uintptr(unsafe.Pointer(p2)), 0, 0)
		if errno != syscall.EINTR {
			if errno != 0 {
				return errno
			}
			return nil
		}
	}
}

func unlinkat(dirFD int, name string) error {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	_, _, errno := syscall.Syscall(syscall.SYS_UNLINKAT, uintptr(dirFD), uintptr(unsafe.Pointer(p)), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// readAt reads the regular file file of the open directory dirFD (named
// dir in errors) whole.
func (c *Cache) readAt(dirFD int, dir, file string) ([]byte, error) {
	fd, err := c.openat2At(dirFD, file, os.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		return nil, withPath(err, dir+"/"+file)
	}
	defer syscall.Close(fd)
	data, err := c.readFD(fd)
	if err != nil {
		return nil, withPath(err, dir+"/"+file)
	}
	return data, nil
}

// listFD lists the regular files of the directory fd (named name in
// errors), opened and not yet read.
func (c *Cache) listFD(fd int, name string) ([]string, error) {
	var names []string
	err := c.direntsFD(fd, name, func(n []byte, _ uint64, typ byte) {
		if typ == syscall.DT_REG {
			names = append(names, string(n))
		}
	})
	return names, err
}

func closeFD(fd int) error { return syscall.Close(fd) }

// mkdirAll makes the directory name below the cache directory and any
// parents it lacks, as os.Root.MkdirAll does, in three system calls when
// only the last is missing (openat2 of the parent, mkdirat, close) where
// os.Root opens every component of the path in turn.
func (c *Cache) mkdirAll(name string) error {
	parent, base := path.Split(name)
	parent = strings.TrimSuffix(parent, "/")
	if parent == "" || base == "" || c.dirfd == nil || c.noOpenat2.Load() {
		return c.root.MkdirAll(name, dirPerm)
	}
	fd, err := c.openat2(parent, oPath|syscall.O_DIRECTORY)
	if errors.Is(err, fs.ErrNotExist) {
		if err := c.mkdirAll(parent); err != nil {
			return err
		}
		fd, err = c.openat2(parent, oPath|syscall.O_DIRECTORY)
	}
	if err == errNoOpenat2 {
		return c.root.MkdirAll(name, dirPerm)
	}
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	err = mkdirat(fd, base, uint32(dirPerm))
	if err == syscall.EEXIST {
		// There already: it must be a directory, reached without a link.
		dfd, err := c.openat2At(fd, base, oPath|syscall.O_DIRECTORY)
		if err != nil {
			return err
		}
		return syscall.Close(dfd)
	}
	if err != nil {
		return &os.PathError{Op: "mkdirat", Path: name, Err: err}
	}
	return nil
}

func mkdirat(dirFD int, name string, perm uint32) error {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	for {
		_, _, errno := syscall.Syscall(syscall.SYS_MKDIRAT, uintptr(dirFD), uintptr(unsafe.Pointer(p)), uintptr(perm))
		if errno != syscall.EINTR {
			if errno != 0 {
				return errno
			}
			return nil
		}
	}
}
