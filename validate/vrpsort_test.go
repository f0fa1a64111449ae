package validate

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		{0, 1}, {5, 3}, {minParallelVRPs - 1, 1000}, {minParallelVRPs, 1},
		{minParallelVRPs + 1, 2}, {50000, 40000}, {50000, 50}, {120000, 1 << 30},
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
					cmp.Diff(want, got, cmpPrefix, cmpopts.EquateEmpty()))
			}
			if dedup := compactVRPs(got); !slices.Equal(wantDedup, dedup) {
				t.Fatalf("n %d, keys %d, ways %d: deduplicated (-want +got):\n%s", tc.n, tc.keys, ways,
					cmp.Diff(wantDedup, dedup, cmpPrefix, cmpopts.EquateEmpty()))
			}
		}
	}
}

// TestVRPCutsEven checks that the ranges joinVRPs cuts are about even when
// the keys are spread, so every goroutine has a share of the sorting.
func TestVRPCutsEven(t *testing.T) {
	order := ByTALOrder(nil)
	cmpVRP := func(a, b VRP) int {
		if c := CompareVRP(a, b); c != 0 {
			return c
		}
		return betterVRP(a, b, order)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const n, ways = 100000, 4
	parts := randomVRPParts(r, n, 1<<30)
	cuts := vrpCuts(parts, n, ways, cmpVRP)
	counts := make([]int, ways)
	for _, p := range parts {
		for _, v := range p {
			i := 0
			for i < len(cuts) && cmpVRP(cuts[i], v) <= 0 {
				i++
			}
			counts[i]++
		}
	}
	for i, c := range counts {
		if c < n/ways*9/10 || c > n/ways*11/10 {
			t.Errorf("range %d holds %d of %d VRPs, want about %d: %v", i, c, n, n/ways, counts)
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
