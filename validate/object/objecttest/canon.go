package objecttest

import (
	"net/netip"
	"slices"
)

// canonicalIPs returns the addresses covered by the prefixes as RFC 3779
// §2.2.3.6 wants them for a certificate: IPv4 before IPv6, sorted, merged
// when overlapping or adjacent, and each block a prefix when it is one. It
// gives an EE certificate resources that cover a payload exactly. A nil
// list gives nil.
func canonicalIPs(prefixes []string) []string {
	if prefixes == nil {
		return nil
	}
	var blocks []span
	for _, s := range prefixes {
		p := parseIPItem(s).prefix.Masked()
		blocks = append(blocks, span{p.Addr(), lastAddr(p)})
	}
	slices.SortFunc(blocks, func(a, b span) int { return a.lo.Compare(b.lo) })
	var merged []span
	for _, s := range blocks {
		if n := len(merged); n > 0 && touches(merged[n-1], s) {
			if merged[n-1].hi.Less(s.hi) {
				merged[n-1].hi = s.hi
			}
			continue
		}
		merged = append(merged, s)
	}
	out := make([]string, 0, len(merged))
	for _, s := range merged {
		out = append(out, s.String())
	}
	return out
}

// span is an inclusive address range of one family.
type span struct{ lo, hi netip.Addr }

// touches says whether b, which does not start before a, overlaps a or
// follows it directly. netip orders IPv4 before IPv6, so families never
// touch.
func touches(a, b span) bool {
	if a.lo.Is4() != b.lo.Is4() {
		return false
	}
	next := a.hi.Next()
	return !next.IsValid() || !next.Less(b.lo)
}

// String is the span as a prefix when it is one, else as a range.
func (s span) String() string {
	for bits := 0; bits <= s.lo.BitLen(); bits++ {
		p := netip.PrefixFrom(s.lo, bits)
		if p.Masked().Addr() == s.lo && lastAddr(p) == s.hi {
			return p.String()
		}
	}
	return s.lo.String() + "-" + s.hi.String()
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	raw := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(raw)*8; i++ {
		raw[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(raw)
	return a
}
