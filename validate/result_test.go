package validate

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var cmpPrefix = cmpopts.EquateComparable(netip.Prefix{}, netip.Addr{})

func vrp(asn uint32, prefix string, maxLen uint8, ta string, expires int64) VRP {
	return VRP{ASN: asn, Prefix: netip.MustParsePrefix(prefix), MaxLength: maxLen, TA: ta, Expires: expires}
}

// shuffled returns a copy of v in a fixed pseudo-random order.
func shuffled[T any](v []T, seed uint64) []T {
	out := slices.Clone(v)
	r := rand.New(rand.NewPCG(seed, seed))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestSortVRPs(t *testing.T) {
	// FORMATS.md §1.2, in output order, plus the numeric-address case.
	want := []VRP{
		vrp(64496, "9.0.0.0/8", 8, "a", 1),
		vrp(64496, "10.0.0.0/8", 8, "a", 1),
		vrp(64496, "192.0.2.0/24", 24, "a", 1),
		vrp(64497, "192.0.2.0/24", 24, "a", 1),
		vrp(64496, "192.0.2.128/25", 25, "a", 1),
		vrp(64496, "198.51.100.0/25", 25, "a", 1),
		vrp(64496, "198.51.100.0/24", 26, "a", 1),
		vrp(64496, "198.51.100.0/24", 24, "a", 1),
		vrp(64511, "::c000:201/128", 128, "a", 1),
		vrp(64511, "2001:db8::/48", 48, "a", 1),
		vrp(64511, "2001:db8::/32", 48, "a", 1),
		vrp(4294967295, "2001:db8::/32", 32, "a", 1),
	}
	for seed := range uint64(20) {
		got := shuffled(want, seed)
		SortVRPs(got)
		if diff := cmp.Diff(want, got, cmpPrefix); diff != "" {
			t.Fatalf("seed %d (-want +got):\n%s", seed, diff)
		}
	}
}

func TestCompareVRPIdentity(t *testing.T) {
	a := vrp(64496, "192.0.2.0/24", 24, "ripe", 10)
	b := vrp(64496, "192.0.2.0/24", 24, "arin", 20)
	if c := CompareVRP(a, b); c != 0 {
		t.Errorf("CompareVRP of same identity = %d, want 0", c)
	}
}

func TestDedupVRPs(t *testing.T) {
	order := ByTALOrder([]string{"ripe", "arin", "apnic"})
	tests := []struct {
		name string
		in   []VRP
		want []VRP
	}{
		{
			name: "later expiry wins and brings its TA",
			in: []VRP{
				vrp(64496, "192.0.2.0/24", 24, "ripe", 100),
				vrp(64496, "192.0.2.0/24", 24, "arin", 200),
				vrp(64496, "192.0.2.0/24", 24, "apnic", 150),
			},
			want: []VRP{vrp(64496, "192.0.2.0/24", 24, "arin", 200)},
		},
		{
			name: "equal expiry: TAL given first wins",
			in: []VRP{
				vrp(64496, "192.0.2.0/24", 24, "apnic", 100),
				vrp(64496, "192.0.2.0/24", 24, "arin", 100),
			},
			want: []VRP{vrp(64496, "192.0.2.0/24", 24, "arin", 100)},
		},
		{
			name: "unknown TA after known ones",
			in: []VRP{
				vrp(64496, "192.0.2.0/24", 24, "zz", 100),
				vrp(64496, "192.0.2.0/24", 24, "aa", 100),
				vrp(64496, "192.0.2.0/24", 24, "apnic", 100),
			},
			want: []VRP{vrp(64496, "192.0.2.0/24", 24, "apnic", 100)},
		},
		{
			name: "maxLength and ASN are identity",
			in: []VRP{
				vrp(64497, "192.0.2.0/24", 24, "ripe", 100),
				vrp(64496, "192.0.2.0/24", 25, "ripe", 100),
				vrp(64496, "192.0.2.0/24", 24, "ripe", 100),
				vrp(64496, "192.0.2.0/24", 24, "ripe", 100),
			},
			want: []VRP{
				vrp(64496, "192.0.2.0/24", 25, "ripe", 100),
				vrp(64496, "192.0.2.0/24", 24, "ripe", 100),
				vrp(64497, "192.0.2.0/24", 24, "ripe", 100),
			},
		},
		{
			name: "same address, other family",
			in: []VRP{
				vrp(64496, "::/0", 0, "ripe", 100),
				vrp(64496, "0.0.0.0/0", 0, "ripe", 100),
			},
			want: []VRP{
				vrp(64496, "0.0.0.0/0", 0, "ripe", 100),
				vrp(64496, "::/0", 0, "ripe", 100),
			},
		},
		{name: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(10) {
				got := DedupVRPs(shuffled(tt.in, seed), order)
				if diff := cmp.Diff(tt.want, got, cmpPrefix, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("seed %d (-want +got):\n%s", seed, diff)
				}
			}
		})
	}
}

func TestDedupVRPsNilOrder(t *testing.T) {
	in := []VRP{
		vrp(64496, "192.0.2.0/24", 24, "ripe", 100),
		vrp(64496, "192.0.2.0/24", 24, "arin", 100),
	}
	got := DedupVRPs(in, nil)
	want := []VRP{vrp(64496, "192.0.2.0/24", 24, "arin", 100)}
	if diff := cmp.Diff(want, got, cmpPrefix); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMergeASPAs(t *testing.T) {
	order := ByTALOrder([]string{"ripe", "arin"})
	many := func(from, n uint32) []uint32 {
		p := make([]uint32, n)
		for i := range p {
			p[i] = from + uint32(i)
		}
		return p
	}
	tests := []struct {
		name           string
		in             []ASPA
		want           []ASPA
		wantOverflowed int
	}{
		{
			name: "union of providers, earliest expiry",
			in: []ASPA{
				{Customer: 64496, Providers: []uint32{64498, 64499}, TA: "ripe", Expires: 300},
				{Customer: 64496, Providers: []uint32{64497, 64498}, TA: "arin", Expires: 200},
				{Customer: 64511, Providers: []uint32{64496}, TA: "ripe", Expires: 100},
			},
			want: []ASPA{
				{Customer: 64496, Providers: []uint32{64497, 64498, 64499}, TA: "arin", Expires: 200},
				{Customer: 64511, Providers: []uint32{64496}, TA: "ripe", Expires: 100},
			},
		},
		{
			name: "equal expiry: TAL given first",
			in: []ASPA{
				{Customer: 4200000000, Providers: []uint32{1}, TA: "arin", Expires: 100},
				{Customer: 4200000000, Providers: []uint32{2}, TA: "ripe", Expires: 100},
			},
			want: []ASPA{
				{Customer: 4200000000, Providers: []uint32{1, 2}, TA: "ripe", Expires: 100},
			},
		},
		{
			name: "just below the limit",
			in: []ASPA{
				{Customer: 1, Providers: many(10, 5000), TA: "ripe", Expires: 1},
				{Customer: 1, Providers: many(5000, 4999), TA: "ripe", Expires: 1},
			},
			want: []ASPA{
				{Customer: 1, Providers: many(10, 9989), TA: "ripe", Expires: 1},
			},
		},
		{
			name: "reaching the limit overflows",
			in: []ASPA{
				{Customer: 1, Providers: many(10, 5000), TA: "ripe", Expires: 1},
				{Customer: 1, Providers: many(5010, 5000), TA: "ripe", Expires: 1},
				{Customer: 2, Providers: []uint32{3}, TA: "ripe", Expires: 1},
			},
			want:           []ASPA{{Customer: 2, Providers: []uint32{3}, TA: "ripe", Expires: 1}},
			wantOverflowed: 1,
		},
		{name: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(5) {
				got, overflowed := MergeASPAs(shuffled(tt.in, seed), order)
				if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("seed %d (-want +got):\n%s", seed, diff)
				}
				if overflowed != tt.wantOverflowed {
					t.Fatalf("seed %d: overflowed = %d, want %d", seed, overflowed, tt.wantOverflowed)
				}
			}
		})
	}
}

func TestMergeASPAsKeepsInput(t *testing.T) {
	// Merging must not write into the providers of the input.
	p1, p2 := []uint32{5, 6}, []uint32{1, 2}
	got, _ := MergeASPAs([]ASPA{{Customer: 1, Providers: p1}, {Customer: 1, Providers: p2}}, nil)
	if diff := cmp.Diff([]uint32{5, 6}, p1); diff != "" {
		t.Errorf("input changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uint32{1, 2, 5, 6}, got[0].Providers); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDedupRouterKeys(t *testing.T) {
	ski1 := []byte{0x0a, 0x01}
	ski2 := []byte{0xa0, 0x00}
	// Base64 "+..." (0x2b) sorts before "A..." (0x41), although the first
	// key's first byte, 0xfb, is larger than the second's, 0x00.
	keyPlus := []byte{0xfb, 0xff}
	keyA := []byte{0x00, 0x00}
	order := ByTALOrder([]string{"ripe", "arin"})
	tests := []struct {
		name string
		in   []RouterKey
		want []RouterKey
	}{
		{
			name: "order: ASN, SKI, key text",
			in: []RouterKey{
				{ASN: 64497, SKI: ski1, PublicKey: keyA, TA: "ripe", Expires: 1},
				{ASN: 64496, SKI: ski2, PublicKey: keyA, TA: "ripe", Expires: 1},
				{ASN: 64496, SKI: ski1, PublicKey: keyA, TA: "ripe", Expires: 1},
				{ASN: 64496, SKI: ski1, PublicKey: keyPlus, TA: "ripe", Expires: 1},
			},
			want: []RouterKey{
				{ASN: 64496, SKI: ski1, PublicKey: keyPlus, TA: "ripe", Expires: 1},
				{ASN: 64496, SKI: ski1, PublicKey: keyA, TA: "ripe", Expires: 1},
				{ASN: 64496, SKI: ski2, PublicKey: keyA, TA: "ripe", Expires: 1},
				{ASN: 64497, SKI: ski1, PublicKey: keyA, TA: "ripe", Expires: 1},
			},
		},
		{
			name: "later expiry wins",
			in: []RouterKey{
				{ASN: 64496, SKI: ski1, PublicKey: keyA, TA: "ripe", Expires: 1},
				{ASN: 64496, SKI: ski1, PublicKey: keyA, TA: "arin", Expires: 2},
			},
			want: []RouterKey{{ASN: 64496, SKI: ski1, PublicKey: keyA, TA: "arin", Expires: 2}},
		},
		{
			name: "equal expiry: TAL given first",
			in: []RouterKey{
				{ASN: 64496, SKI: ski1, PublicKey: keyA, TA: "arin", Expires: 2},
				{ASN: 64496, SKI: ski1, PublicKey: keyA, TA: "ripe", Expires: 2},
			},
			want: []RouterKey{{ASN: 64496, SKI: ski1, PublicKey: keyA, TA: "ripe", Expires: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(10) {
				got := DedupRouterKeys(shuffled(tt.in, seed), order)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("seed %d (-want +got):\n%s", seed, diff)
				}
			}
		})
	}
}

func TestTAName(t *testing.T) {
	tests := map[string]string{
		"/etc/rpki/ripe.tal": "ripe",
		"arin.TAL":           "arin",
		"dir/x.tal.tal":      "x.tal",
		"noext":              "noext",
		".tal":               "",
		"a/b.cer":            "b.cer",
	}
	for in, want := range tests {
		if got := TAName(in); got != want {
			t.Errorf("TAName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStatsAdd(t *testing.T) {
	var s Stats
	s.Add(Stats{KindROA: {Valid: 2, FailedParse: 1}, KindCert: {NonFunctional: 1}})
	s.Add(Stats{KindROA: {Valid: 3, Invalid: 4, Stale: 1, FromCache: 2}, KindManifest: {SeqGap: 1}})
	want := Stats{
		KindROA:      {Valid: 5, FailedParse: 1, Invalid: 4, Stale: 1, FromCache: 2},
		KindCert:     {NonFunctional: 1},
		KindManifest: {SeqGap: 1},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := s[KindROA].Rejected(); got != 5 {
		t.Errorf("Rejected = %d, want 5", got)
	}
	var p Payloads
	p.Add(Payloads{VRPs: 1, UniqueVRPs: 2, VAPs: 3, UniqueVAPs: 4, VAPProviders: 5, VAPOverflowed: 6})
	p.Add(Payloads{VRPs: 1})
	if diff := cmp.Diff(Payloads{VRPs: 2, UniqueVRPs: 2, VAPs: 3, UniqueVAPs: 4, VAPProviders: 5, VAPOverflowed: 6}, p); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestKindString(t *testing.T) {
	for k := range NumKinds {
		if k.String() == "" || k.String() == "unknown" {
			t.Errorf("Kind(%d) has no name", k)
		}
	}
	if got := NumKinds.String(); got != "unknown" {
		t.Errorf("NumKinds.String() = %q", got)
	}
}

func TestResultDerived(t *testing.T) {
	r := Result{
		ASPAs:          []ASPA{{Providers: []uint32{1, 2}}, {Providers: []uint32{3}}},
		ASPAOverflowed: 1,
	}
	if got := r.UniqueVAPs(); got != 3 {
		t.Errorf("UniqueVAPs = %d, want 3", got)
	}
	if got := r.VAPProviders(); got != 3 {
		t.Errorf("VAPProviders = %d, want 3", got)
	}
}
