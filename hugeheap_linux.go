package main

import (
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"unsafe"
)

// hugePageSize is the size of a transparent huge page on the
// architectures Go supports on Linux (a PMD entry: 2 MiB with 4 KiB
// pages).
const hugePageSize = 2 << 20

// hugeHeap asks Linux to back the first size bytes of the heap the Go
// runtime has yet to use with transparent huge pages, where the system's
// setting is "madvise" (as on many distributions): a run touches some 400 MB of
// heap once, and on small virtual machines each of its 100,000 4 KiB page
// faults costs about 10 µs, a tenth of a run whose signatures the memo
// answers. The Go runtime does not advise its heap itself; so this
// allocates size bytes (mapped by the runtime, never touched), advises
// them, and gives them back: the runtime's page allocator hands out the
// lowest free addresses first, so the heap grows into the advised range,
// and the mapping keeps its advice when the runtime releases pages. It
// changes nothing but speed. It does nothing under GODEBUG=disablethp=1
// (Go's switch for keeping huge pages off its heap) or under strict
// overcommit accounting (vm.overcommit_memory 2), which would charge the
// whole block, and takes at most half the machine's memory. It returns
// the advised range, for tests.
func hugeHeap(size int) (start, end uintptr, err error) {
	if strings.Contains(","+os.Getenv("GODEBUG")+",", ",disablethp=1,") {
		return 0, 0, nil
	}
	if mode, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || strings.TrimSpace(string(mode)) == "2" {
		return 0, 0, nil
	}
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0, 0, nil
	}
	size = int(min(uint64(size), uint64(si.Totalram)*uint64(si.Unit)/2))
	start, end, err = adviseBlock(size)
	// Collect the block at once and release its (untouched) pages, so
	// that it never counts towards the memory limit.
	debug.FreeOSMemory()
	return start, end, err
}

// adviseBlock allocates size bytes and advises the huge pages inside
// them; the block is garbage when it returns.
//
//go:noinline
func adviseBlock(size int) (start, end uintptr, err error) {
	b := make([]byte, size)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start = (p + hugePageSize - 1) &^ (hugePageSize - 1)
	end = (p + uintptr(size)) &^ (hugePageSize - 1)
	if start >= end {
		return 0, 0, nil
	}
	if err := syscall.Madvise(b[start-p:end-p], syscall.MADV_HUGEPAGE); err != nil {
		return 0, 0, err
	}
	return start, end, nil
}
