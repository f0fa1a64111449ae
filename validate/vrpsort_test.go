package validate

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// randomVRPParts makes n VRPs in parts of 0 to 20, from few enough
// prefixes, ASNs, TAs and expiry times that many share an identity and
// some are identical. keys bounds the distinct identities.
func randomVRPParts(r *rand.Rand, n, keys int) [][]VRP {
	tas := []string{"ripe", "arin", "apnic", "zz"}
	var parts [][]VRP
	for n > 0 {
		size := min(n, r.IntN(21))
		part := make([]VRP, size)
		for i := range part {
			k := r.IntN(keys)
			var p netip.Prefix
			if k%3 == 0 {
				a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(k >> 8), byte(k)})
				p = netip.PrefixFrom(a, 48)
			} else {
				p = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(k >> 8), byte(k), 0}), 24)
			}
			part[i] = VRP{ASN: uint32(64496 + k%5), Prefix: p, MaxLength: uint8(p.Bits() + k%2),
				TA: tas[r.IntN(len(tas))], Expires: int64(r.IntN(3))}
		}
		parts = append(parts, part)
		n -= size
	}
	return parts
}

func TestJoinVRPs(t *testing.T) {
	order := ByTALOrder([]string{"ripe", "arin", "apnic"})
	cmpVRP := func(a, b VRP) int {
		if c := CompareVRP(a, b); c != 0 {
			return c
		}
		return betterVRP(a, b, order)
	}
	r := rand.New(rand.NewPCG(7, 7))
	for _, tc := range []struct{ n, keys int }{
		{0, 1}, {5, 3}, {minVRPsPerWay - 1, 1000}, {2 * minVRPsPerWay, 1},
		{2*minVRPsPerWay + 1, 2}, {50000, 40000}, {50000, 50}, {120000, 1 << 30},
	} {
		parts := randomVRPParts(r, tc.n, tc.keys)
		// The reference: everything in one slice, sorted on one goroutine.
		want := slices.Concat(parts...)
		slices.SortFunc(want, cmpVRP)
		wantDedup := DedupVRPs(slices.Concat(parts...), order)
		for _, ways := range []int{1, 2, 3, 8, 200} {
			got := joinVRPs(parts, order, ways)
			// Entries the comparison finds equal are equal in every
			// field, so the sorted slice is unique.
			// (slices.Equal first: cmp.Diff of 100,000 VRPs is slow)
			if !slices.Equal(want, got) {
				t.Fatalf("n %d, keys %d, ways %d: (-want +got):\n%s", tc.n, tc.keys, ways,
					gocmp.Diff(want, got, cmpPrefix, cmpopts.EquateEmpty()))
			}
			if dedup := compactVRPs(got); !slices.Equal(wantDedup, dedup) {
				t.Fatalf("n %d, keys %d, ways %d: deduplicated (-want +got):\n%s", tc.n, tc.keys, ways,
					gocmp.Diff(wantDedup, dedup, cmpPrefix, cmpopts.EquateEmpty()))
			}
		}
	}
}

// vrpKey never contradicts CompareVRP: a smaller key is an earlier VRP
// (equal keys are left to the comparison), for address ends, both
// families (the same bytes in each), prefix lengths, maxLengths and ASNs
// at their limits and on either side of the 15 bits the key keeps.
func TestVRPKeyOrder(t *testing.T) {
	var vrps []VRP
	for _, p := range []string{"0.0.0.0/0", "0.0.0.0/32", "0.0.0.1/32", "10.0.0.0/8", "10.0.0.0/24",
		"255.255.255.255/32", "::/0", "::/128", "::1/128", "::ffff:0.0.0.0/96", "::ffff:10.0.0.0/104",
		"2001:db8::/32", "2001:db8::1/128", "2001:db8::/127", "8000::/1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
		"ffff:ffff:ffff:ffff:8000::/65", "0:0:0:1::/64", "0:0:0:2::/63"} {
		pfx := netip.MustParsePrefix(p)
		for _, ml := range []int{pfx.Bits(), pfx.Bits() + 1, pfx.Addr().BitLen()} {
			if ml > pfx.Addr().BitLen() {
				continue
			}
			for _, asn := range []uint32{0, 1, 64496, 1<<17 - 1, 1 << 17, 1<<32 - 1} {
				vrps = append(vrps, VRP{ASN: asn, Prefix: pfx, MaxLength: uint8(ml)})
			}
		}
	}
	for _, a := range vrps {
		for _, b := range vrps {
			ka, kb := vrpKey(a), vrpKey(b)
			if c := CompareVRP(a, b); ka < kb && c >= 0 || ka > kb && c <= 0 {
				t.Fatalf("%v vs %v: keys %#x, %#x; CompareVRP %d", a, b, ka, kb, c)
			}
		}
	}
}

// radixSortRefs sorts by key, whatever bytes the keys share.
func TestRadixSortRefs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, mask := range []uint64{0, 0xff, 0xff00ff0000000000, 1<<63 | 1, ^uint64(0)} {
		refs := make([]vrpRef, 1000)
		for i := range refs {
			refs[i] = vrpRef{key: r.Uint64() & mask, part: uint32(i)}
		}
		got := radixSortRefs(slices.Clone(refs), make([]vrpRef, len(refs)))
		if !slices.IsSortedFunc(got, func(a, b vrpRef) int { return cmp.Compare(a.key, b.key) }) {
			t.Fatalf("mask %#x: not sorted", mask)
		}
		seen := make([]bool, len(refs))
		for _, g := range got {
			seen[g.part] = true
		}
		if slices.Contains(seen, false) {
			t.Fatalf("mask %#x: a ref lost", mask)
		}
	}
}

// BenchmarkJoinVRPs joins and sorts VRPs shaped like the end of a walk of
// a 40,000-CA world: 426,000 in 40,000 parts.
func BenchmarkJoinVRPs(b *testing.B) {
	order := ByTALOrder([]string{"ripe", "arin", "apnic"})
	parts := randomVRPParts(rand.New(rand.NewPCG(3, 3)), 426000, 1<<30)
	for _, ways := range []int{1, 2} {
		b.Run(fmt.Sprint("ways=", ways), func(b *testing.B) {
			for b.Loop() {
				joinVRPs(parts, order, ways)
			}
		})
	}
}
