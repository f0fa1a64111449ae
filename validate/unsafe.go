package validate

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/tally-rpki/tally/validate/object"
)

// filterUnsafe applies the --unsafe-vrps policy: a VRP is unsafe when its
// prefix overlaps the resources of a CA rejected in this run, either its
// certificate or its publication point. Families that hold all of 0/0 or
// ::/0 are left out, or one broken RIR certificate would taint everything.
func (a *aggregate) filterUnsafe(policy UnsafeVRPs) []VRP {
	if policy == UnsafeAccept || len(a.rejected) == 0 {
		return a.vrps
	}
	tainted := taintedRanges(a.rejected)
	kept := a.vrps[:0]
	for _, v := range a.vrps {
		if !overlaps(tainted, v.Prefix) {
			kept = append(kept, v)
			continue
		}
		verb := "kept"
		if policy == UnsafeReject {
			verb = "dropped"
		}
		a.warn(fmt.Sprintf("unsafe VRP %s-%d AS%d (%s) %s: overlaps a rejected CA's resources",
			v.Prefix, v.MaxLength, v.ASN, v.TA, verb))
		if policy != UnsafeReject {
			kept = append(kept, v)
		}
	}
	return kept
}

// taintedRanges merges the address ranges of rejected into one sorted list
// of disjoint ranges, leaving out every family that spans its whole space.
func taintedRanges(rejected []object.Resources) []object.AddrRange {
	var all []object.AddrRange
	for _, r := range rejected {
		for _, s := range []*object.IPSet{r.IPv4, r.IPv6} {
			if s == nil || s.Inherit || coversAll(s) {
				continue
			}
			all = append(all, s.Ranges...)
		}
	}
	slices.SortFunc(all, func(x, y object.AddrRange) int { return x.Min.Compare(y.Min) })
	var merged []object.AddrRange
	for _, r := range all {
		if n := len(merged); n > 0 && merged[n-1].Min.BitLen() == r.Min.BitLen() &&
			!merged[n-1].Max.Less(r.Min) {
			if merged[n-1].Max.Less(r.Max) {
				merged[n-1].Max = r.Max
			}
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// coversAll reports whether s holds the whole address space of its family.
func coversAll(s *object.IPSet) bool {
	if len(s.Ranges) == 0 {
		return false
	}
	all := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	if s.Ranges[0].Min.Is6() {
		all = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	return s.CoversPrefix(all)
}

// overlaps reports whether p shares an address with one of the sorted,
// disjoint ranges.
func overlaps(ranges []object.AddrRange, p netip.Prefix) bool {
	lo, hi := p.Masked().Addr(), prefixLast(p)
	i, _ := slices.BinarySearchFunc(ranges, lo, func(r object.AddrRange, a netip.Addr) int {
		if r.Max.Less(a) {
			return -1
		}
		return 1
	})
	return i < len(ranges) && ranges[i].Min.BitLen() == lo.BitLen() && !hi.Less(ranges[i].Min)
}

// prefixLast returns the highest address of p.
func prefixLast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	if a.Is4() {
		return netip.AddrFrom4([4]byte(b))
	}
	return netip.AddrFrom16([16]byte(b))
}
