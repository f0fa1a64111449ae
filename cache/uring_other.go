//go:build !(linux && (amd64 || arm64 || riscv64 || loong64))

package cache

import "errors"

// ring is io_uring's (uring_linux.go); there is none here, and a Dir
// never has a descriptor to prefetch through.
type ring struct{}

const ringSlots = 32

var errRingBroken = errors.New("io_uring requests did not complete")

func newRing() (*ring, error) { return nil, errors.ErrUnsupported }

func (*ring) close() {}

type ringFile struct {
	dirFD int
	name  string
}

func (*ring) read([]ringFile, func(int, []byte)) error { return errors.ErrUnsupported }
