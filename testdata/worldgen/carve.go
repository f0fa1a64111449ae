package main

import (
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"strconv"
)

// splitBits is the number of bits that split a block into at least n
// pieces: ceil(log2 n).
func splitBits(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

// carve returns piece j of the 2^b equal pieces of p. When p is too long
// to split that far, every piece is p itself, which is still contained in
// it.
func carve(p netip.Prefix, b, j int) netip.Prefix {
	n := p.Bits() + b
	if b == 0 || n > p.Addr().BitLen() {
		return p
	}
	a := p.Addr().AsSlice()
	for i := range b {
		if j>>(b-1-i)&1 == 1 {
			pos := p.Bits() + i
			a[pos/8] |= 0x80 >> (pos % 8)
		}
	}
	addr, _ := netip.AddrFromSlice(a)
	return netip.PrefixFrom(addr, n)
}

// randomSubprefix returns a prefix of length n (at least p's) inside p,
// with the bits between at random.
func randomSubprefix(rng *rand.Rand, p netip.Prefix, n int) netip.Prefix {
	n = max(n, p.Bits())
	a := p.Addr().AsSlice()
	for pos := p.Bits(); pos < n; pos++ {
		if rng.IntN(2) == 1 {
			a[pos/8] |= 0x80 >> (pos % 8)
		}
	}
	addr, _ := netip.AddrFromSlice(a)
	return netip.PrefixFrom(addr, n)
}

// asRange is an inclusive range of AS numbers.
type asRange struct{ Lo, Hi uint32 }

// carve returns piece j of the 2^b equal pieces of r, or r itself when r
// has fewer than 2^b numbers.
func (r asRange) carve(b, j int) asRange {
	size := (uint64(r.Hi) - uint64(r.Lo) + 1) >> b
	if b == 0 || size == 0 {
		return r
	}
	lo := uint64(r.Lo) + uint64(j)*size
	return asRange{uint32(lo), uint32(lo + size - 1)}
}

// random returns an AS number of r.
func (r asRange) random(rng *rand.Rand) uint32 {
	return r.Lo + uint32(rng.Uint64N(uint64(r.Hi)-uint64(r.Lo)+1))
}

// String is the objecttest resource string of r.
func (r asRange) String() string {
	if r.Lo == r.Hi {
		return "AS" + strconv.FormatUint(uint64(r.Lo), 10)
	}
	return "AS" + strconv.FormatUint(uint64(r.Lo), 10) + "-AS" + strconv.FormatUint(uint64(r.Hi), 10)
}
