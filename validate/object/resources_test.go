package object

import (
	"crypto/x509"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

var equateAddrs = cmpopts.EquateComparable(netip.Prefix{}, netip.Addr{})

// An ipItem is one IPAddressOrRange: a prefix when max is nil, else a range.
// Bits are BIT STRING contents, the unused-bits octet first.
type ipItem struct{ min, max []byte }

// ipFamily is one IPAddressFamily; a nil items list encodes inherit.
type ipFamily struct {
	afi   []byte
	items []ipItem
}

func pfx(bits ...byte) ipItem         { return ipItem{min: bits} }
func rng(min, max []byte) ipItem      { return ipItem{min: min, max: max} }
func v4(items ...ipItem) ipFamily     { return ipFamily{[]byte{0, 1}, items} }
func v6(items ...ipItem) ipFamily     { return ipFamily{[]byte{0, 2}, items} }
func inheritFamily(afi byte) ipFamily { return ipFamily{afi: []byte{0, afi}} }
func bitsOf(b ...byte) []byte         { return b }
func addrRange(min, max string) AddrRange {
	return AddrRange{netip.MustParseAddr(min), netip.MustParseAddr(max)}
}

// ipAddrBlocks encodes families with cryptobyte, the way a CA would.
func ipAddrBlocks(families ...ipFamily) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, f := range families {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(f.afi)
				if f.items == nil {
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

func addIPItem(b *cryptobyte.Builder, it ipItem) {
	if it.max == nil {
		b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddBytes(it.min) })
		return
	}
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddBytes(it.min) })
		b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddBytes(it.max) })
	})
}

func TestParseIPAddrBlocks(t *testing.T) {
	tests := []struct {
		name     string
		der      []byte
		v4, v6   *IPSet
		wantRule string // "" for success
	}{
		{
			name: "v4 prefix",
			der:  ipAddrBlocks(v4(pfx(0x00, 10))),
			v4:   &IPSet{Ranges: []AddrRange{addrRange("10.0.0.0", "10.255.255.255")}},
		},
		{
			name: "v4 odd-length prefix",
			der:  ipAddrBlocks(v4(pfx(0x04, 0xc0, 0xa0))), // 192.160.0.0/12
			v4:   &IPSet{Ranges: []AddrRange{addrRange("192.160.0.0", "192.175.255.255")}},
		},
		{
			name: "all of v4 and v6",
			der:  ipAddrBlocks(v4(pfx(0x00)), v6(pfx(0x00))),
			v4:   &IPSet{Ranges: []AddrRange{addrRange("0.0.0.0", "255.255.255.255")}},
			v6:   &IPSet{Ranges: []AddrRange{addrRange("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}},
		},
		{
			name: "host route",
			der:  ipAddrBlocks(v4(pfx(0x00, 192, 0, 2, 1))),
			v4:   &IPSet{Ranges: []AddrRange{addrRange("192.0.2.1", "192.0.2.1")}},
		},
		{
			name: "v4 inherit, v6 list",
			der:  ipAddrBlocks(inheritFamily(1), v6(pfx(0x00, 0x20, 0x01, 0x0d, 0xb8))),
			v4:   &IPSet{Inherit: true},
			v6:   &IPSet{Ranges: []AddrRange{addrRange("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")}},
		},
		{
			name: "range and prefixes in order",
			der: ipAddrBlocks(v4(
				rng(bitsOf(0x01, 10), bitsOf(0x00, 10, 0, 0, 2)), // 10.0.0.0-10.0.0.2
				pfx(0x00, 10, 0, 1), // 10.0.1.0/24: not adjacent
				pfx(0x00, 11),
			)),
			v4: &IPSet{Ranges: []AddrRange{
				addrRange("10.0.0.0", "10.0.0.2"),
				addrRange("10.0.1.0", "10.0.1.255"),
				addrRange("11.0.0.0", "11.255.255.255"),
			}},
		},
		{name: "trailing data", der: append(ipAddrBlocks(v4(pfx(0x00, 10))), 0), wantRule: "RFC 3779 §2.2.3"},
		{name: "no family", der: ipAddrBlocks(), wantRule: "RFC 6487 §4.8.10"},
		{name: "AFI 3", der: ipAddrBlocks(ipFamily{[]byte{0, 3}, []ipItem{pfx(0x00)}}), wantRule: "RFC 6487 §4.8.10"},
		{name: "SAFI", der: ipAddrBlocks(ipFamily{[]byte{0, 1, 1}, []ipItem{pfx(0x00)}}), wantRule: "RFC 6487 §4.8.10"},
		{name: "v6 before v4", der: ipAddrBlocks(v6(pfx(0x00)), v4(pfx(0x00))), wantRule: "RFC 3779 §2.2.3.3"},
		{name: "v4 twice", der: ipAddrBlocks(v4(pfx(0x00, 10)), v4(pfx(0x00, 12))), wantRule: "RFC 3779 §2.2.3.3"},
		{name: "empty list", der: ipAddrBlocks(ipFamily{[]byte{0, 1}, []ipItem{}}), wantRule: "RFC 3779 §2.2.3.6"},
		{name: "unused bits 8", der: ipAddrBlocks(v4(pfx(0x08, 10))), wantRule: "RFC 3779 §2.2.3.8"},
		{name: "unused bits without octets", der: ipAddrBlocks(v4(pfx(0x01))), wantRule: "RFC 3779 §2.2.3.8"},
		{name: "empty BIT STRING", der: ipAddrBlocks(v4(pfx())), wantRule: "RFC 3779 §2.2.3.8"},
		{name: "nonzero padding", der: ipAddrBlocks(v4(pfx(0x01, 0x0b))), wantRule: "X.690 §11.2.1"},
		{name: "33-bit v4", der: ipAddrBlocks(v4(pfx(0x07, 10, 0, 0, 0, 0))), wantRule: "RFC 3779 §2.2.3.8"},
		{name: "129-bit v6", der: ipAddrBlocks(v6(pfx(append([]byte{0x07}, make([]byte, 17)...)...))), wantRule: "RFC 3779 §2.2.3.8"},
		{name: "unsorted", der: ipAddrBlocks(v4(pfx(0x00, 11), pfx(0x00, 10))), wantRule: "RFC 3779 §2.2.3.6"},
		{name: "overlapping", der: ipAddrBlocks(v4(pfx(0x00, 10), pfx(0x00, 10, 1))), wantRule: "RFC 3779 §2.2.3.6"},
		{name: "adjacent", der: ipAddrBlocks(v4(pfx(0x00, 10), pfx(0x00, 11))), wantRule: "RFC 3779 §2.2.3.6"},
		{name: "duplicate", der: ipAddrBlocks(v4(pfx(0x00, 10), pfx(0x00, 10))), wantRule: "RFC 3779 §2.2.3.6"},
		{name: "range is a prefix", der: ipAddrBlocks(v4(rng(bitsOf(0x01, 10), bitsOf(0x00, 10, 0, 0)))), wantRule: "RFC 3779 §2.2.3.6"},
		{name: "range min > max", der: ipAddrBlocks(v4(rng(bitsOf(0x00, 10, 0, 0, 5), bitsOf(0x00, 10, 0, 0, 2)))), wantRule: "RFC 3779 §2.2.3.9"},
		{name: "range min untrimmed", der: ipAddrBlocks(v4(rng(bitsOf(0x00, 10, 0, 0, 0), bitsOf(0x00, 10, 0, 0, 2)))), wantRule: "RFC 3779 §2.2.3.9"},
		{name: "range max untrimmed", der: ipAddrBlocks(v4(rng(bitsOf(0x01, 10), bitsOf(0x00, 10, 0, 0, 3)))), wantRule: "RFC 3779 §2.2.3.9"},
		{name: "range with three members", der: func() []byte {
			var b cryptobyte.Builder
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1OctetString([]byte{0, 1})
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
							for range 3 {
								b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddBytes([]byte{0x01, 10}) })
							}
						})
					})
				})
			})
			return b.BytesOrPanic()
		}(), wantRule: "RFC 3779 §2.2.3.9"},
		{name: "inherit with contents", der: []byte{0x30, 0x0a, 0x30, 0x08, 0x04, 0x02, 0x00, 0x01, 0x05, 0x02, 0x00, 0x00}, wantRule: "RFC 3779 §2.2.3.4"},
		{name: "family trailing data", der: []byte{0x30, 0x0a, 0x30, 0x08, 0x04, 0x02, 0x00, 0x01, 0x05, 0x00, 0x05, 0x00}, wantRule: "RFC 3779 §2.2.3"},
		{name: "wrong choice", der: []byte{0x30, 0x08, 0x30, 0x06, 0x04, 0x02, 0x00, 0x01, 0x02, 0x00}, wantRule: "RFC 3779 §2.2.3.4"},
		{name: "BER length", der: []byte{0x30, 0x81, 0x08, 0x30, 0x06, 0x04, 0x02, 0x00, 0x01, 0x05, 0x00}, wantRule: "RFC 3779 §2.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotV4, gotV6, err := parseIPAddrBlocks(tt.der)
			if tt.wantRule != "" {
				checkRule(t, err, tt.wantRule)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.v4, gotV4, equateAddrs); diff != "" {
				t.Errorf("IPv4 (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.v6, gotV6, equateAddrs); diff != "" {
				t.Errorf("IPv6 (-want +got):\n%s", diff)
			}
		})
	}
}

// checkRule asserts that err is an *Error citing rule.
func checkRule(t *testing.T, err error, rule string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *Error citing %s", err, rule)
	}
	if e.Rule != rule || !errors.Is(err, ErrMalformed) {
		t.Errorf("got %v, want rule %s", err, rule)
	}
}

// An asItem is an id when max < 0, else a range; values are int64 so that
// out-of-range numbers can be written.
type asItem struct{ min, max int64 }

func asID(n int64) asItem       { return asItem{n, -1} }
func asRange(a, b int64) asItem { return asItem{a, b} }
func asIdentifiers(items ...asItem) []byte {
	return asIdentifiersWith(func(b *cryptobyte.Builder) { addASChoice(b, items) }, nil)
}

// asIdentifiersWith builds ASIdentifiers with the given asnum and rdi
// choices; a nil function leaves that field out.
func asIdentifiersWith(asnum, rdi func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if asnum != nil {
			b.AddASN1(asn1.Tag(0).Constructed().ContextSpecific(), asnum)
		}
		if rdi != nil {
			b.AddASN1(asn1.Tag(1).Constructed().ContextSpecific(), rdi)
		}
	})
	return b.BytesOrPanic()
}

// addASChoice writes asIdsOrRanges, or inherit when items is nil.
func addASChoice(b *cryptobyte.Builder, items []asItem) {
	if items == nil {
		b.AddASN1NULL()
		return
	}
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, it := range items {
			if it.max < 0 {
				b.AddASN1Int64(it.min)
				continue
			}
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(it.min)
				b.AddASN1Int64(it.max)
			})
		}
	})
}

func TestParseASIdentifiers(t *testing.T) {
	inherit := func(b *cryptobyte.Builder) { addASChoice(b, nil) }
	tests := []struct {
		name     string
		der      []byte
		want     *ASSet
		wantRule string
	}{
		{
			name: "ids and ranges",
			der:  asIdentifiers(asID(0), asID(2), asRange(5, 10), asRange(64496, 64511), asID(4294967295)),
			want: &ASSet{Ranges: []ASRange{{0, 0}, {2, 2}, {5, 10}, {64496, 64511}, {4294967295, 4294967295}}},
		},
		{name: "inherit", der: asIdentifiersWith(inherit, nil), want: &ASSet{Inherit: true}},
		{name: "asnum absent", der: asIdentifiersWith(nil, nil), wantRule: "RFC 6487 §4.8.11"},
		{name: "rdi only", der: asIdentifiersWith(nil, inherit), wantRule: "RFC 6487 §4.8.11"},
		{name: "asnum and rdi", der: asIdentifiersWith(inherit, inherit), wantRule: "RFC 6487 §4.8.11"},
		{name: "empty list", der: asIdentifiers([]asItem{}...), wantRule: "RFC 3779 §3.2.3.3"},
		{name: "negative", der: asIdentifiers(asID(-1)), wantRule: "RFC 3779 §3.2.3.8"},
		{name: "too large", der: asIdentifiers(asID(1 << 32)), wantRule: "RFC 3779 §3.2.3.8"},
		{name: "unsorted", der: asIdentifiers(asID(5), asID(3)), wantRule: "RFC 3779 §3.2.3.3"},
		{name: "adjacent ids", der: asIdentifiers(asID(5), asID(6)), wantRule: "RFC 3779 §3.2.3.3"},
		{name: "id inside range", der: asIdentifiers(asRange(1, 10), asID(10)), wantRule: "RFC 3779 §3.2.3.3"},
		{name: "adjacent ranges", der: asIdentifiers(asRange(1, 10), asRange(11, 20)), wantRule: "RFC 3779 §3.2.3.3"},
		{name: "inverted range", der: asIdentifiers(asRange(10, 1)), wantRule: "RFC 3779 §3.2.3.7"},
		{name: "non-minimal integer", der: []byte{0x30, 0x08, 0xa0, 0x06, 0x30, 0x04, 0x02, 0x02, 0x00, 0x01}, wantRule: "RFC 3779 §3.2.3.8"},
		{name: "implicit asnum tag", der: []byte{0x30, 0x02, 0x80, 0x00}, wantRule: "RFC 6487 §4.8.11"},
		{name: "trailing data", der: append(asIdentifiers(asID(1)), 0), wantRule: "RFC 3779 §3.2.3"},
		{name: "inherit with contents", der: []byte{0x30, 0x05, 0xa0, 0x03, 0x05, 0x01, 0x00}, wantRule: "RFC 3779 §3.2.3.2"},
		{name: "range with extra member", der: asIdentifiersWith(func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1Int64(1)
					b.AddASN1Int64(2)
					b.AddASN1Int64(3)
				})
			})
		}, nil), wantRule: "RFC 3779 §3.2.3.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseASIdentifiers(tt.der)
			if tt.wantRule != "" {
				checkRule(t, err, tt.wantRule)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// ipSet builds a canonical set from prefixes and "a-b" ranges.
func ipSet(items ...string) *IPSet {
	s := &IPSet{}
	for _, it := range items {
		if p, err := netip.ParsePrefix(it); err == nil {
			s.Ranges = append(s.Ranges, AddrRange{p.Addr(), lastAddr(p)})
			continue
		}
		for i := range it {
			if it[i] == '-' {
				s.Ranges = append(s.Ranges, addrRange(it[:i], it[i+1:]))
				break
			}
		}
	}
	return s
}

func TestIPSetCovers(t *testing.T) {
	s := ipSet("10.0.0.0/8", "192.0.2.0-192.0.2.200", "198.51.100.0/24")
	tests := []struct {
		prefix string
		want   bool
	}{
		{"10.0.0.0/8", true},
		{"10.1.2.0/24", true},
		{"10.255.255.255/32", true},
		{"10.0.0.0/7", false},
		{"11.0.0.0/8", false},
		{"9.255.255.255/32", false},
		{"192.0.2.0/25", true},
		{"192.0.2.128/26", true},
		{"192.0.2.192/26", false}, // ends at .255, the range at .200
		{"198.51.100.7/32", true},
		{"0.0.0.0/0", false},
		{"2001:db8::/32", false},
	}
	for _, tt := range tests {
		p := netip.MustParsePrefix(tt.prefix)
		if got := (Resources{IPv4: s}).CoversPrefix(p); got != tt.want {
			t.Errorf("CoversPrefix(%s) = %t, want %t", p, got, tt.want)
		}
	}
	if (*IPSet)(nil).CoversPrefix(netip.MustParsePrefix("10.0.0.0/8")) || (&IPSet{Inherit: true}).CoversPrefix(netip.MustParsePrefix("10.0.0.0/8")) {
		t.Error("nil or inherited set covers a prefix")
	}
	if !ipSet("::/0").CoversPrefix(netip.MustParsePrefix("2001:db8::/32")) {
		t.Error("::/0 does not cover 2001:db8::/32")
	}
}

func TestASSetCovers(t *testing.T) {
	s := &ASSet{Ranges: []ASRange{{1, 1}, {64496, 64511}, {4294967295, 4294967295}}}
	for asn, want := range map[uint32]bool{0: false, 1: true, 2: false, 64496: true, 64500: true, 64511: true, 64512: false, 4294967295: true} {
		if got := (Resources{AS: s}).CoversASN(asn); got != want {
			t.Errorf("CoversASN(%d) = %t, want %t", asn, got, want)
		}
	}
	if s.CoversRange(64490, 64500) || !s.CoversRange(64500, 64510) {
		t.Error("CoversRange wrong at a range boundary")
	}
}

func TestResourcesContains(t *testing.T) {
	parent := Resources{
		IPv4: ipSet("10.0.0.0/8", "192.0.2.0/24"),
		IPv6: ipSet("2001:db8::/32"),
		AS:   &ASSet{Ranges: []ASRange{{64496, 64511}}},
	}
	tests := []struct {
		name  string
		child Resources
		want  bool
	}{
		{"same", parent, true},
		{"empty", Resources{}, true},
		{"all inherit", Resources{IPv4: &IPSet{Inherit: true}, IPv6: &IPSet{Inherit: true}, AS: &ASSet{Inherit: true}}, true},
		{"subsets", Resources{IPv4: ipSet("10.1.0.0/16", "10.3.0.0-10.3.0.9", "192.0.2.128/25"), AS: &ASSet{Ranges: []ASRange{{64500, 64500}}}}, true},
		{"v4 beyond", Resources{IPv4: ipSet("10.0.0.0/7")}, false},
		{"v4 across a gap", Resources{IPv4: ipSet("10.255.255.0-192.0.2.5")}, false},
		{"v4 after the last", Resources{IPv4: ipSet("203.0.113.0/24")}, false},
		{"v6 beyond", Resources{IPv6: ipSet("2001:db9::/32")}, false},
		{"AS beyond", Resources{AS: &ASSet{Ranges: []ASRange{{64511, 64512}}}}, false},
	}
	for _, tt := range tests {
		if got := parent.Contains(tt.child); got != tt.want {
			t.Errorf("%s: Contains = %t, want %t", tt.name, got, tt.want)
		}
	}
	if (Resources{IPv4: &IPSet{Inherit: true}}).Contains(Resources{IPv4: ipSet("10.0.0.0/8")}) {
		t.Error("an unresolved issuer contains resources")
	}
	if (Resources{}).Contains(Resources{AS: &ASSet{Ranges: []ASRange{{1, 1}}}}) {
		t.Error("an issuer without AS resources contains an ASN")
	}
}

func TestResourcesResolveIntersect(t *testing.T) {
	issuer := Resources{
		IPv4: ipSet("10.0.0.0/8", "192.0.2.0/24"),
		IPv6: ipSet("2001:db8::/32"),
		AS:   &ASSet{Ranges: []ASRange{{10, 20}, {30, 40}}},
	}
	child := Resources{
		IPv4: ipSet("9.0.0.0-10.0.0.9", "10.2.0.0/16", "192.0.2.100-203.0.113.0"),
		IPv6: &IPSet{Inherit: true},
		AS:   &ASSet{Ranges: []ASRange{{5, 12}, {15, 35}, {50, 60}}},
	}
	eff := child.Resolve(issuer)
	if eff.IPv6 != issuer.IPv6 || eff.IPv4 != child.IPv4 {
		t.Fatalf("Resolve: %+v", eff)
	}
	want := Resources{
		IPv4: ipSet("10.0.0.0-10.0.0.9", "10.2.0.0/16", "192.0.2.100-192.0.2.255"),
		IPv6: issuer.IPv6,
		AS:   &ASSet{Ranges: []ASRange{{10, 12}, {15, 20}, {30, 35}}},
	}
	got := eff.Intersect(issuer)
	if diff := cmp.Diff(want, got, equateAddrs); diff != "" {
		t.Errorf("Intersect (-want +got):\n%s", diff)
	}
	if !issuer.Contains(got) {
		t.Error("issuer does not contain the intersection")
	}
	if none := (Resources{AS: &ASSet{Ranges: []ASRange{{1, 2}}}}).Intersect(issuer); none.AS != nil || none.IPv4 != nil {
		t.Errorf("disjoint Intersect = %+v", none)
	}
}

func TestRangeString(t *testing.T) {
	for _, tt := range []struct {
		r    AddrRange
		want string
	}{
		{addrRange("10.0.0.0", "10.255.255.255"), "10.0.0.0/8"},
		{addrRange("10.0.0.0", "10.0.0.2"), "10.0.0.0-10.0.0.2"},
		{addrRange("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "::/0"},
		{addrRange("10.0.0.1", "10.0.0.1"), "10.0.0.1/32"},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%v: String() = %q, want %q", tt.r, got, tt.want)
		}
	}
	if got := (ASRange{5, 10}).String(); got != "AS5-AS10" {
		t.Errorf("ASRange.String() = %q", got)
	}
}

func FuzzParseIPAddrBlocks(f *testing.F) {
	seedExtensions(f, oidExtIPAddrBlocks)
	f.Add(ipAddrBlocks(v4(rng(bitsOf(0x01, 10), bitsOf(0x00, 10, 0, 0, 2)), pfx(0x00, 11)), inheritFamily(2)))
	f.Fuzz(func(t *testing.T, der []byte) {
		s4, s6, err := parseIPAddrBlocks(der)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		for _, s := range []*IPSet{s4, s6} {
			if s != nil && !s.Inherit && !s.Contains(s) {
				t.Fatal("a set does not contain itself")
			}
		}
	})
}

func FuzzParseASIdentifiers(f *testing.F) {
	seedExtensions(f, oidExtASIdentifiers)
	f.Add(asIdentifiers(asID(0), asRange(5, 10), asID(4294967295)))
	f.Fuzz(func(t *testing.T, der []byte) {
		s, err := parseASIdentifiers(der)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if s == nil || !s.Inherit && !s.Contains(s) {
			t.Fatal("nil set, or a set that does not contain itself")
		}
	})
}

// seedExtensions adds the values of one extension from the corpus certificates.
func seedExtensions(f *testing.F, oid []byte) {
	n := 0
	for _, e := range rowsEndingIn(f, ".cer") {
		c, err := x509.ParseCertificate(mustRead(f, e.path))
		if err != nil {
			continue
		}
		for _, ext := range c.Extensions {
			if ext.Id.String() == oidString(oid) {
				f.Add(ext.Value)
				n++
			}
		}
	}
	if n == 0 {
		f.Fatal("no corpus seeds")
	}
}
