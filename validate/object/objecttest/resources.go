package objecttest

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The resource strings the builders take, one resource per string:
//
//	"10.0.0.0/8", "2001:db8::/32"      an addressPrefix
//	"10.0.0.0-10.0.1.255"              an addressRange (always encoded as a range,
//	                                   even when a prefix would describe it)
//	"inherit"                          inherit, for IPv4 and IPv6 in an IP list
//	"ipv4:inherit", "ipv6:inherit"     inherit for one address family
//	"AS64496" or "64496"               an ASId
//	"AS64496-AS64511"                  an ASRange
//	"inherit"                          inherit, in an AS list
//
// Nothing is sorted, merged or checked: address families appear in the
// order of their first resource, and resources within a family in the order
// given, so that a test can build the non-canonical encodings RFC 3779
// forbids. A malformed string panics.

// ipFamily is one IPAddressFamily as given.
type ipFamily struct {
	afi     byte // 1 IPv4, 2 IPv6
	inherit bool
	items   []ipItem
}

// ipItem is an addressPrefix, or an addressRange when isRange.
type ipItem struct {
	prefix  netip.Prefix
	isRange bool
	lo, hi  netip.Addr
}

func afiOf(a netip.Addr) byte {
	if a.Is4() {
		return 1
	}
	return 2
}

// parseIPs groups the resource strings by family, in order of appearance.
func parseIPs(list []string) []*ipFamily {
	var fams []*ipFamily
	family := func(afi byte) *ipFamily {
		for _, f := range fams {
			if f.afi == afi {
				return f
			}
		}
		f := &ipFamily{afi: afi}
		fams = append(fams, f)
		return f
	}
	for _, s := range list {
		switch s {
		case "inherit":
			family(1).inherit = true
			family(2).inherit = true
			continue
		case "ipv4:inherit":
			family(1).inherit = true
			continue
		case "ipv6:inherit":
			family(2).inherit = true
			continue
		}
		it := parseIPItem(s)
		a := it.prefix.Addr()
		if it.isRange {
			a = it.lo
		}
		f := family(afiOf(a))
		f.items = append(f.items, it)
	}
	for _, f := range fams {
		if f.inherit && len(f.items) > 0 {
			panic(fmt.Sprintf("objecttest: address family %d has both inherit and resources", f.afi))
		}
	}
	return fams
}

func parseIPItem(s string) ipItem {
	if from, to, ok := strings.Cut(s, "-"); ok {
		lo, err1 := netip.ParseAddr(from)
		hi, err2 := netip.ParseAddr(to)
		if err1 != nil || err2 != nil || lo.Is4() != hi.Is4() {
			panic(fmt.Sprintf("objecttest: bad address range %q", s))
		}
		return ipItem{isRange: true, lo: lo, hi: hi}
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		panic(fmt.Sprintf("objecttest: bad prefix %q: %v", s, err))
	}
	return ipItem{prefix: p}
}

// addPrefixBits adds the first n bits of addr as a BIT STRING (RFC 3779
// §2.1.2), with the unused bits of the last octet zero.
func addPrefixBits(b *cryptobyte.Builder, addr netip.Addr, n int) {
	raw := addr.AsSlice()
	nbytes := (n + 7) / 8
	bits := append([]byte(nil), raw[:nbytes]...)
	unused := nbytes*8 - n
	if unused > 0 {
		bits[nbytes-1] &= 0xff << unused
	}
	b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) {
		b.AddUint8(uint8(unused))
		b.AddBytes(bits)
	})
}

// significantBits is the length of raw once trailing bits equal to trail
// (0 or 1) are dropped: the RFC 3779 §2.1.2 encoding of a range bound.
func significantBits(raw []byte, trail byte) int {
	n := len(raw) * 8
	for n > 0 {
		bit := raw[(n-1)/8] >> (7 - uint((n-1)%8)) & 1
		if bit != trail {
			break
		}
		n--
	}
	return n
}

func addIPItem(b *cryptobyte.Builder, it ipItem) {
	if !it.isRange {
		addPrefixBits(b, it.prefix.Addr(), it.prefix.Bits())
		return
	}
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addPrefixBits(b, it.lo, significantBits(it.lo.AsSlice(), 0))
		addPrefixBits(b, it.hi, significantBits(it.hi.AsSlice(), 1))
	})
}

// ipAddrBlocks encodes the IPAddrBlocks extension value (RFC 3779 §2.2.3).
func ipAddrBlocks(list []string) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, f := range parseIPs(list) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1OctetString([]byte{0, f.afi})
				if f.inherit {
					b.AddASN1NULL()
					return
				}
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, it := range f.items {
						addIPItem(b, it)
					}
				})
			})
		}
	})
	return b.BytesOrPanic()
}

// asItem is an ASId (lo == hi and !isRange) or an ASRange.
type asItem struct {
	lo, hi  int64
	isRange bool
}

func parseASN(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "AS"), 10, 64)
	if err != nil {
		panic(fmt.Sprintf("objecttest: bad AS number %q", s))
	}
	return n
}

// parseASes returns the items, or inherit when the list says so.
func parseASes(list []string) (items []asItem, inherit bool) {
	for _, s := range list {
		if s == "inherit" {
			inherit = true
			continue
		}
		if lo, hi, ok := strings.Cut(s, "-"); ok {
			items = append(items, asItem{lo: parseASN(lo), hi: parseASN(hi), isRange: true})
			continue
		}
		n := parseASN(s)
		items = append(items, asItem{lo: n, hi: n})
	}
	if inherit && len(items) > 0 {
		panic("objecttest: AS resources have both inherit and numbers")
	}
	return items, inherit
}

// asIdentifiers encodes the ASIdentifiers extension value (RFC 3779 §3.2.3)
// with only the asnum field.
func asIdentifiers(list []string) []byte {
	items, inherit := parseASes(list)
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			if inherit {
				b.AddASN1NULL()
				return
			}
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, it := range items {
					addASItem(b, it)
				}
			})
		})
	})
	return b.BytesOrPanic()
}

func addASItem(b *cryptobyte.Builder, it asItem) {
	if !it.isRange {
		b.AddASN1Int64(it.lo)
		return
	}
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(it.lo)
		b.AddASN1Int64(it.hi)
	})
}
