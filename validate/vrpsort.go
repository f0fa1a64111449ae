package validate

import (
	"encoding/binary"
	"slices"
	"sync"
)

// joinVRPs joins parts into one slice sorted as DedupVRPs sorts it
// (CompareVRP, then the winner of each set of duplicates first). The walk
// ends with hundreds of thousands of VRPs in tens of thousands of parts,
// and joining and sorting them with the comparison was the longest step
// left after it, on one core. Here each VRP gets a 64-bit key that
// CompareVRP never contradicts (vrpRef), the keys are radix sorted, the
// VRPs copied in that order on up to ways goroutines, and each run of
// equal keys (duplicates, and the rare VRPs the key does not tell apart)
// is then sorted with the full comparison.
func joinVRPs(parts [][]VRP, order TAOrder, ways int) []VRP {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return nil
	}
	refs := make([]vrpRef, 0, n)
	for i, p := range parts {
		for j, v := range p {
			refs = append(refs, vrpRef{key: vrpKey(v), part: uint32(i), off: uint32(j)})
		}
	}
	refs = radixSortRefs(refs, make([]vrpRef, n))
	out := make([]VRP, n)
	ways = max(1, min(ways, n/minVRPsPerWay))
	var wg sync.WaitGroup
	for w := range ways {
		lo, hi := w*n/ways, (w+1)*n/ways
		wg.Go(func() {
			for i, r := range refs[lo:hi] {
				out[lo+i] = parts[r.part][r.off]
			}
		})
	}
	wg.Wait()
	cmpVRP := func(a, b VRP) int {
		if c := CompareVRP(a, b); c != 0 {
			return c
		}
		return betterVRP(a, b, order)
	}
	for i := 0; i < n; {
		j := i + 1
		for j < n && refs[j].key == refs[i].key {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(out[i:j], cmpVRP)
		}
		i = j
	}
	return out
}

// minVRPsPerWay is the fewest VRPs worth a goroutine of their own.
const minVRPsPerWay = 1 << 13

// vrpRef is a VRP's sort key and where the VRP is: parts[part][off].
type vrpRef struct {
	key       uint64
	part, off uint32
}

// vrpKey orders VRPs as CompareVRP does as far as 64 bits go: a smaller
// key means an earlier VRP, and VRPs with equal keys are left to the
// comparison. The top bit is the family (IPv4 first). For IPv4 there
// follow the address, 255 minus the prefix length (longer first), 255
// minus maxLength (larger first) and the top 15 bits of the ASN; for IPv6
// the top 63 bits of the address.
func vrpKey(v VRP) uint64 {
	a := v.Prefix.Addr()
	if a.Is4() {
		b := a.As4()
		return uint64(binary.BigEndian.Uint32(b[:]))<<31 | uint64(255-v.Prefix.Bits())<<23 |
			uint64(255-v.MaxLength)<<15 | uint64(v.ASN>>17)
	}
	b := a.As16()
	return 1<<63 | binary.BigEndian.Uint64(b[:8])>>1
}

// radixSortRefs sorts refs by key, least significant byte first, through
// tmp (as long as refs), and returns the sorted slice (refs or tmp). A
// byte every key shares costs one counting pass.
func radixSortRefs(refs, tmp []vrpRef) []vrpRef {
	for shift := 0; shift < 64; shift += 8 {
		var at [256]int
		for _, r := range refs {
			at[byte(r.key>>shift)]++
		}
		if at[byte(refs[0].key>>shift)] == len(refs) {
			continue
		}
		pos := 0
		for d, c := range at {
			at[d] = pos
			pos += c
		}
		for _, r := range refs {
			d := byte(r.key >> shift)
			tmp[at[d]] = r
			at[d]++
		}
		refs, tmp = tmp, refs
	}
	return refs
}
