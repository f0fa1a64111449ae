//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package cache

import (
	"errors"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// A ring reads many small files in one system call through io_uring:
// for each file a linked chain of openat2 (relative to a directory, with
// the same RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS rules as openat2At, into
// a registered file slot), read into a slot buffer, close. A run reads
// hundreds of thousands of files, and on virtual machines every system
// call is costly: three per file become one per batch.
//
// A file that does not give a plain answer (an error, an empty read, a
// read that fills its slot and may go on) is left to the caller, who
// reads it the ordinary way: that path gives the errors and handles the
// large files, so the ring only ever returns whole small files.
type ring struct {
	fd      int
	mem     []byte // the SQ and CQ rings, one mapping (IORING_FEAT_SINGLE_MMAP)
	sqeMem  []byte
	sqHead  *uint32
	sqTail  *uint32
	sqMask  uint32
	cqHead  *uint32
	cqTail  *uint32
	cqMask  uint32
	cqes    unsafe.Pointer
	sqes    unsafe.Pointer
	bufs    []byte     // ringSlots buffers of ringSlotSize bytes
	names   []byte     // NUL-terminated file names of the batch
	how     *openHow   // shared by every openat2 of a batch
	results [][2]int32 // per slot: openat2 result, read result
	// wait is how long a batch may go without progress before what is
	// in flight is cancelled.
	wait time.Duration
	ts   syscall.Timespec
	arg  getEventsArg
}

// ringWait is a ring's wait: reading 32 small files takes milliseconds,
// even from a slow disk.
const ringWait = 30 * time.Second

const (
	sysIoUringSetup    = 425
	sysIoUringEnter    = 426
	sysIoUringRegister = 427

	ioringOpAsyncCancel = 14
	ioringOpClose       = 19
	ioringOpRead        = 22
	ioringOpOpenat2     = 28

	ioringAsyncCancelAny = 1 << 2
	// cancelUserData marks the completion of a cancellation.
	cancelUserData = 1<<63 | 3

	iosqeFixedFile  = 1 << 0
	iosqeIOHardlink = 1 << 3

	ioringSetupSubmitAll = 1 << 7
	ioringFeatSingleMmap = 1 << 0
	ioringEnterGetevents = 1 << 0
	ioringEnterExtArg    = 1 << 3
	ioringFeatExtArg     = 1 << 8
	ioringRegisterFiles2 = 13
	ioringRsrcRegSparse  = 1 << 0

	ioringOffSQRing = 0
	ioringOffSQEs   = 0x10000000

	// ringSlots files per batch, three submission entries each.
	ringSlots = 32
	// ringSlotSize is the largest file a ring reads; larger ones (a big
	// CA's CRL or manifest) take the ordinary path.
	ringSlotSize = 32 << 10
	sqeSize      = 64
	cqeSize      = 16
)

// ioUringParams is struct io_uring_params.
type ioUringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  [10]uint32 // head tail ring_mask ring_entries flags dropped array resv1 user_addr(u64)
	cqOff                                                                  [10]uint32 // head tail ring_mask ring_entries overflow cqes flags resv1 user_addr(u64)
}

// getEventsArg is struct io_uring_getevents_arg: here only a timeout.
type getEventsArg struct {
	sigmask   uint64
	sigmaskSz uint32
	minWait   uint32
	ts        uint64 // *syscall.Timespec
}

// rsrcRegister is struct io_uring_rsrc_register.
type rsrcRegister struct {
	nr, flags uint32
	resv2     uint64
	data      uint64
	tags      uint64
}

// newRing sets up a ring, or returns an error when the kernel has no
// io_uring for this process (too old, disabled, or refused by a seccomp
// filter): the caller then reads file by file.
func newRing() (*ring, error) {
	var p ioUringParams
	p.flags = ioringSetupSubmitAll
	fd, _, errno := syscall.Syscall(sysIoUringSetup, 3*ringSlots, uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, errno
	}
	r := &ring{fd: int(fd)}
	fail := func(err error) (*ring, error) {
		r.close()
		return nil, err
	}
	if p.features&ioringFeatSingleMmap == 0 || p.features&ioringFeatExtArg == 0 {
		return fail(syscall.ENOSYS)
	}
	size := max(p.sqOff[6]+p.sqEntries*4, p.cqOff[5]+p.cqEntries*cqeSize)
	mem, err := syscall.Mmap(r.fd, ioringOffSQRing, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return fail(err)
	}
	r.mem = mem
	sqes, err := syscall.Mmap(r.fd, ioringOffSQEs, int(p.sqEntries)*sqeSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return fail(err)
	}
	r.sqeMem = sqes
	base := unsafe.Pointer(&mem[0])
	u32 := func(off uint32) *uint32 { return (*uint32)(unsafe.Add(base, off)) }
	r.sqHead, r.sqTail = u32(p.sqOff[0]), u32(p.sqOff[1])
	r.sqMask = *u32(p.sqOff[2])
	r.cqHead, r.cqTail = u32(p.cqOff[0]), u32(p.cqOff[1])
	r.cqMask = *u32(p.cqOff[2])
	r.cqes = unsafe.Add(base, p.cqOff[5])
	r.sqes = unsafe.Pointer(&sqes[0])
	array := unsafe.Slice(u32(p.sqOff[6]), p.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	reg := rsrcRegister{nr: ringSlots, flags: ioringRsrcRegSparse}
	if _, _, errno := syscall.Syscall6(sysIoUringRegister, uintptr(r.fd), ioringRegisterFiles2,
		uintptr(unsafe.Pointer(&reg)), unsafe.Sizeof(reg), 0, 0); errno != 0 {
		return fail(errno)
	}
	r.bufs = make([]byte, ringSlots*ringSlotSize)
	r.how = &openHow{flags: uint64(syscall.O_RDONLY | syscall.O_NONBLOCK), resolve: resolveBeneath | resolveNoSymlinks | resolveNoMagiclinks}
	r.results = make([][2]int32, ringSlots)
	r.wait = ringWait
	return r, nil
}

func (r *ring) close() {
	if r.sqeMem != nil {
		syscall.Munmap(r.sqeMem)
	}
	if r.mem != nil {
		syscall.Munmap(r.mem)
	}
	syscall.Close(r.fd)
}

// sqe is struct io_uring_sqe, as far as these operations use it.
type sqe struct {
	opcode    uint8
	flags     uint8
	ioprio    uint16
	fd        int32
	off       uint64
	addr      uint64
	len       uint32
	opFlags   uint32
	userData  uint64
	bufIndex  uint16
	pers      uint16
	fileIndex uint32
	addr3     uint64
	pad       uint64
}

// cqe is struct io_uring_cqe.
type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

// ringFile is a file for a ring to read: name below the directory dirFD.
type ringFile struct {
	dirFD int
	name  string
}

// read reads files (at most ringSlots); fn gets the contents of each file
// the ring read whole, in the order given. The slices fn gets are the
// ring's: fn copies what it keeps.
func (r *ring) read(files []ringFile, fn func(i int, data []byte)) error {
	n := len(files)
	if n == 0 {
		return nil
	}
	r.names = r.names[:0]
	offs := make([]int, n)
	for i, f := range files {
		offs[i] = len(r.names)
		r.names = append(r.names, f.name...)
		r.names = append(r.names, 0)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&r.names[0])
	pin.Pin(&r.bufs[0])
	pin.Pin(r.how)
	pin.Pin(r)
	tail := atomic.LoadUint32(r.sqTail)
	put := func(s sqe) {
		*(*sqe)(unsafe.Add(r.sqes, uintptr(tail&r.sqMask)*sqeSize)) = s
		tail++
	}
	for i := range n {
		r.results[i] = [2]int32{-1, -1}
		slot := uint32(i)
		put(sqe{opcode: ioringOpOpenat2, flags: iosqeIOHardlink, fd: int32(files[i].dirFD),
			addr: uint64(uintptr(unsafe.Pointer(&r.names[offs[i]]))),
			len:  uint32(unsafe.Sizeof(openHow{})), off: uint64(uintptr(unsafe.Pointer(r.how))),
			userData: uint64(i)<<2 | 0, fileIndex: slot + 1})
		put(sqe{opcode: ioringOpRead, flags: iosqeFixedFile | iosqeIOHardlink, fd: int32(slot),
			addr: uint64(uintptr(unsafe.Pointer(&r.bufs[i*ringSlotSize]))), len: ringSlotSize,
			userData: uint64(i)<<2 | 1})
		put(sqe{opcode: ioringOpClose, userData: uint64(i)<<2 | 2, fileIndex: slot + 1})
	}
	atomic.StoreUint32(r.sqTail, tail)
	start, pending, fails, cancelled := tail-uint32(3*n), 3*n, 0, false
	for pending > 0 {
		// Wait at most r.wait for progress: a file that blocks (a FIFO
		// planted in the cache with a writer that never writes) must
		// not hang the run. The ordinary path then reports it.
		// (The timeout and its argument live in the ring, on the heap:
		// a stack may move, and the kernel reads them by address.)
		r.ts = syscall.NsecToTimespec(int64(r.wait))
		r.arg = getEventsArg{ts: uint64(uintptr(unsafe.Pointer(&r.ts)))}
		_, _, errno := syscall.Syscall6(sysIoUringEnter, uintptr(r.fd), uintptr(tail-atomic.LoadUint32(r.sqHead)),
			uintptr(pending), ioringEnterGetevents|ioringEnterExtArg, uintptr(unsafe.Pointer(&r.arg)), unsafe.Sizeof(r.arg))
		got := r.reap()
		pending -= got
		switch {
		case errno == 0 || errno == syscall.EINTR || errno == syscall.ETIME && got > 0:
			fails = 0
		case errno == syscall.ETIME && !cancelled:
			// No progress: cancel whatever is still in flight, then
			// wait for those completions (ECANCELED, EINTR).
			*(*sqe)(unsafe.Add(r.sqes, uintptr(tail&r.sqMask)*sqeSize)) = sqe{opcode: ioringOpAsyncCancel,
				opFlags: ioringAsyncCancelAny, userData: cancelUserData}
			tail++
			atomic.StoreUint32(r.sqTail, tail)
			pending++
			cancelled = true
		case errno != syscall.ETIME && atomic.LoadUint32(r.sqHead) == start:
			// Nothing went in: take the entries back.
			atomic.StoreUint32(r.sqTail, start)
			return errno
		default:
			if fails++; fails > 100 || errno == syscall.ETIME {
				// Entries in flight may still write into the buffers:
				// the ring is not to be used or freed again.
				return errRingBroken
			}
		}
	}
	runtime.KeepAlive(r)
	unsupported := 0
	for i := range n {
		o, rd := r.results[i][0], r.results[i][1]
		if o >= 0 && rd > 0 && rd < ringSlotSize {
			fn(i, r.bufs[i*ringSlotSize:i*ringSlotSize+int(rd)])
		}
		switch syscall.Errno(-o) {
		case syscall.EINVAL, syscall.EOPNOTSUPP, syscall.ENOSYS:
			unsupported++
		}
	}
	if unsupported == n {
		// A kernel that takes the ring but not these operations on
		// it: every file would go the ordinary way anyway.
		return errRingUnsupported
	}
	return nil
}

// errRingUnsupported says the kernel refused the ring's operations.
var errRingUnsupported = errors.New("io_uring operations not supported")

// errRingBroken says a ring's requests did not all complete: its memory
// may still be written to, so it is kept but never used again.
var errRingBroken = errors.New("io_uring requests did not complete")

// reap takes every completion there is and returns how many.
func (r *ring) reap() int {
	head, tail := atomic.LoadUint32(r.cqHead), atomic.LoadUint32(r.cqTail)
	k := 0
	for ; head != tail; head++ {
		c := (*cqe)(unsafe.Add(r.cqes, uintptr(head&r.cqMask)*cqeSize))
		i, op := c.userData>>2, c.userData&3
		if op < 2 && c.userData != cancelUserData {
			r.results[i][op] = c.res
		}
		k++
	}
	atomic.StoreUint32(r.cqHead, head)
	return k
}
