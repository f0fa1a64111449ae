package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestHugeHeap runs itself in a fresh process (a test binary's heap has
// holes left by earlier tests; tally calls hugeHeap first thing): the
// advised range must be marked for huge pages in the kernel's view of
// the process, and the heap must grow into it.
func TestHugeHeap(t *testing.T) {
	if os.Getenv("TALLY_TEST_HUGEHEAP") == "child" {
		hugeHeapChild()
		return
	}
	want := "advised"
	if mode, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || strings.TrimSpace(string(mode)) == "2" {
		want = "off" // strict accounting: hugeHeap stays out of the way
	}
	for _, tc := range []struct{ godebug, want string }{
		{"", want},
		{"disablethp=1", "off"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHugeHeap$")
		cmd.Env = append(os.Environ(), "TALLY_TEST_HUGEHEAP=child", "GODEBUG="+tc.godebug)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("GODEBUG=%s: %v\n%s", tc.godebug, err, out)
		}
		if !strings.Contains(string(out), "hugeheap: "+tc.want+"\n") {
			t.Errorf("GODEBUG=%s: want %q, child said:\n%s", tc.godebug, tc.want, out)
		}
	}
}

func hugeHeapChild() {
	const size = 64 << 20
	start, end, err := hugeHeap(size)
	switch {
	case err != nil:
		fmt.Println("hugeheap: madvise:", err)
		return
	case start == 0 && end == 0:
		fmt.Println("hugeheap: off")
		return
	case end-start < size-hugePageSize || start%hugePageSize != 0 || end%hugePageSize != 0:
		fmt.Printf("hugeheap: range %#x-%#x\n", start, end)
		return
	}
	flags, err := vmFlags(start)
	if err != nil {
		fmt.Println("hugeheap:", err)
		return
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		fmt.Printf("hugeheap: flags of %#x: %s\n", start, flags)
		return
	}
	// The block is released: it does not count towards the memory limit.
	released := []metrics.Sample{{Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(released)
	if r := released[0].Value.Uint64(); r < uint64(end-start) {
		fmt.Printf("hugeheap: %d bytes released, want %d or more\n", r, end-start)
		return
	}
	// The next large block comes from the advised range (the heap's
	// lowest free pages), and the mapping has kept its advice.
	b := make([]byte, 16<<20)
	last := uintptr(unsafe.Pointer(&b[len(b)-1]))
	if last < start || last >= end {
		fmt.Printf("hugeheap: block ends at %#x, outside %#x-%#x\n", last, start, end)
		return
	}
	if flags, err = vmFlags(last); err != nil || !strings.Contains(" "+flags+" ", " hg ") {
		fmt.Printf("hugeheap: flags of %#x: %s %v\n", last, flags, err)
		return
	}
	fmt.Println("hugeheap: advised")
}

// vmFlags returns the VmFlags line of the mapping holding addr, from
// /proc/self/smaps.
func vmFlags(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		first, _, _ := strings.Cut(line, " ")
		if lo, hi, ok := strings.Cut(first, "-"); ok {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				in = uint64(addr) >= a && uint64(addr) < b
				continue
			}
		}
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok && in {
			return strings.TrimSpace(flags), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no mapping holds %#x", addr)
}
