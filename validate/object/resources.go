package object

import (
	"fmt"
	"math"
	"net/netip"
	"sort"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// AddrRange is an inclusive range of addresses of one family, as RFC 3779
// IPAddressOrRange describes it (a prefix is the range it covers).
type AddrRange struct {
	Min, Max netip.Addr
}

// String formats r as a prefix when it is one, else as "min-max".
func (r AddrRange) String() string {
	if p, ok := rangePrefix(r.Min, r.Max); ok {
		return p.String()
	}
	return r.Min.String() + "-" + r.Max.String()
}

// IPSet is one address family of an IPAddrBlocks extension (RFC 3779 §2.2.3).
// Either Inherit is true and Ranges is empty, or Ranges holds the listed
// ranges in the canonical order the RFC requires (sorted, non-overlapping,
// non-adjacent).
type IPSet struct {
	Inherit bool
	Ranges  []AddrRange
}

// ASRange is an inclusive range of AS numbers (a single ASN has Min == Max).
type ASRange struct {
	Min, Max uint32
}

// String formats r as "AS64496" or "AS64496-AS64511".
func (r ASRange) String() string {
	if r.Min == r.Max {
		return fmt.Sprintf("AS%d", r.Min)
	}
	return fmt.Sprintf("AS%d-AS%d", r.Min, r.Max)
}

// ASSet is the asnum part of an ASIdentifiers extension (RFC 3779 §3.2.3).
// Either Inherit is true and Ranges is empty, or Ranges is sorted,
// non-overlapping and non-adjacent.
type ASSet struct {
	Inherit bool
	Ranges  []ASRange
}

// Resources are the RFC 3779 resources of a certificate. A nil pointer means
// the extension (or the family inside it) is absent.
type Resources struct {
	IPv4 *IPSet
	IPv6 *IPSet
	AS   *ASSet
}

// Address family numbers allowed in an RPKI certificate (RFC 6487 §4.8.10).
const (
	afiIPv4 = 1
	afiIPv6 = 2
)

// Smallest encodings, used to size slices from the input: a prefix is a
// BIT STRING of at least 3 bytes (header, unused-bits octet, one octet unless
// it is 0/0), an ASId an INTEGER of at least 3 bytes.
const (
	minIPAddressOrRange = 3
	minASIdOrRange      = 3
)

// parseIPAddrBlocks reads the extnValue of an IPAddrBlocks extension
// (RFC 3779 §2.2.3). A family that is absent comes back nil. Ranges alias
// nothing in der.
func parseIPAddrBlocks(der []byte) (v4, v6 *IPSet, err error) {
	const rule = "RFC 3779 §2.2.3"
	input := cryptobyte.String(der)
	var blocks cryptobyte.String
	if !input.ReadASN1(&blocks, asn1.SEQUENCE) || !input.Empty() {
		return nil, nil, malformed(rule, "ipAddrBlocks: want one SEQUENCE")
	}
	if blocks.Empty() {
		return nil, nil, malformed("RFC 6487 §4.8.10", "ipAddrBlocks: no address family")
	}
	lastAFI := 0
	for i := 0; !blocks.Empty(); i++ {
		var family, afi cryptobyte.String
		if !blocks.ReadASN1(&family, asn1.SEQUENCE) ||
			!family.ReadASN1(&afi, asn1.OCTET_STRING) {
			return nil, nil, malformed(rule, "family[%d]: want SEQUENCE with addressFamily", i)
		}
		// RFC 6487 §4.8.10 admits IPv4 and IPv6 and no SAFI.
		if len(afi) != 2 || afi[0] != 0 || (afi[1] != afiIPv4 && afi[1] != afiIPv6) {
			return nil, nil, malformed("RFC 6487 §4.8.10", "family[%d]: addressFamily %x: want 0001 or 0002 without SAFI", i, []byte(afi))
		}
		// RFC 3779 §2.2.3.3: families sorted by AFI, each at most once.
		if int(afi[1]) <= lastAFI {
			return nil, nil, malformed("RFC 3779 §2.2.3.3", "family[%d]: addressFamily %d not after %d", i, afi[1], lastAFI)
		}
		lastAFI = int(afi[1])
		set, err := parseIPAddressChoice(&family, afi[1] == afiIPv4)
		if err != nil {
			return nil, nil, within(fmt.Sprintf("family[%d]", i), err)
		}
		if !family.Empty() {
			return nil, nil, malformed(rule, "family[%d]: %d trailing bytes", i, len(family))
		}
		if afi[1] == afiIPv4 {
			v4 = set
		} else {
			v6 = set
		}
	}
	return v4, v6, nil
}

// readChoice reads the CHOICE both RFC 3779 extensions share: inherit (an
// empty NULL) or a SEQUENCE, whose contents it returns.
func readChoice(s *cryptobyte.String, rule, what string) (inherit bool, list cryptobyte.String, err error) {
	if s.PeekASN1Tag(asn1.NULL) {
		var null cryptobyte.String
		if !s.ReadASN1(&null, asn1.NULL) || !null.Empty() {
			return false, nil, malformed(rule, "inherit: want empty NULL")
		}
		return true, nil, nil
	}
	if !s.ReadASN1(&list, asn1.SEQUENCE) {
		return false, nil, malformed(rule, "%s: want NULL or SEQUENCE", what)
	}
	return false, list, nil
}

// parseIPAddressChoice reads inherit or addressesOrRanges (RFC 3779 §2.2.3.4).
func parseIPAddressChoice(s *cryptobyte.String, is4 bool) (*IPSet, error) {
	inherit, list, err := readChoice(s, "RFC 3779 §2.2.3.4", "ipAddressChoice")
	if err != nil {
		return nil, err
	}
	if inherit {
		return &IPSet{Inherit: true}, nil
	}
	if list.Empty() {
		// An empty list is not how a CA says "no resources of this family":
		// it omits the family. Admitting it would make two encodings mean one thing.
		return nil, malformed("RFC 3779 §2.2.3.6", "addressesOrRanges: empty")
	}
	ranges := make([]AddrRange, 0, len(list)/minIPAddressOrRange)
	for i := 0; !list.Empty(); i++ {
		r, err := parseIPAddressOrRange(&list, is4)
		if err != nil {
			return nil, within(fmt.Sprintf("addressesOrRanges[%d]", i), err)
		}
		// RFC 3779 §2.2.3.6: sorted by lowest address, and overlapping or
		// adjacent entries MUST be merged.
		if n := len(ranges); n > 0 && !before(ranges[n-1].Max, r.Min) {
			return nil, malformed("RFC 3779 §2.2.3.6", "addressesOrRanges[%d]: %s not sorted after %s, or overlaps or adjoins it", i, r, ranges[n-1])
		}
		ranges = append(ranges, r)
	}
	return &IPSet{Ranges: ranges}, nil
}

// before reports whether a < b and b is not the address right after a.
func before(a, b netip.Addr) bool {
	n := a.Next()
	return n.IsValid() && n.Less(b)
}

// parseIPAddressOrRange reads one addressPrefix or addressRange
// (RFC 3779 §2.2.3.7 to §2.2.3.9).
func parseIPAddressOrRange(s *cryptobyte.String, is4 bool) (AddrRange, error) {
	if s.PeekASN1Tag(asn1.BIT_STRING) {
		var bits cryptobyte.String
		if !s.ReadASN1(&bits, asn1.BIT_STRING) {
			return AddrRange{}, malformed("RFC 3779 §2.2.3.8", "addressPrefix: bad length")
		}
		min, max, _, err := parseIPAddress(bits, is4)
		if err != nil {
			return AddrRange{}, within("addressPrefix", err)
		}
		return AddrRange{Min: min, Max: max}, nil
	}
	var seq, lo, hi cryptobyte.String
	if !s.ReadASN1(&seq, asn1.SEQUENCE) {
		return AddrRange{}, malformed("RFC 3779 §2.2.3.7", "want addressPrefix or addressRange")
	}
	if !seq.ReadASN1(&lo, asn1.BIT_STRING) || !seq.ReadASN1(&hi, asn1.BIT_STRING) || !seq.Empty() {
		return AddrRange{}, malformed("RFC 3779 §2.2.3.9", "addressRange: want SEQUENCE of two BIT STRINGs")
	}
	min, _, minLast, err := parseIPAddress(lo, is4)
	if err != nil {
		return AddrRange{}, within("addressRange.min", err)
	}
	_, max, maxLast, err := parseIPAddress(hi, is4)
	if err != nil {
		return AddrRange{}, within("addressRange.max", err)
	}
	// RFC 3779 §2.2.3.9: min drops its trailing zero bits, max its trailing
	// one bits; anything else is a second encoding of the same range.
	if minLast == 0 {
		return AddrRange{}, malformed("RFC 3779 §2.2.3.9", "addressRange.min: trailing zero bit not removed")
	}
	if maxLast == 1 {
		return AddrRange{}, malformed("RFC 3779 §2.2.3.9", "addressRange.max: trailing one bit not removed")
	}
	r := AddrRange{Min: min, Max: max}
	if max.Less(min) {
		return AddrRange{}, malformed("RFC 3779 §2.2.3.9", "addressRange: min %s > max %s", min, max)
	}
	// RFC 3779 §2.2.3.6: a range that is a prefix MUST be encoded as one.
	// Every CA and EE certificate in the corpus (about 6,800) complies, as do
	// the trailing-bit rules above, so we are strict like OpenSSL's
	// canonical-form check.
	if _, ok := rangePrefix(min, max); ok {
		return AddrRange{}, malformed("RFC 3779 §2.2.3.6", "addressRange %s: must be encoded as a prefix", r)
	}
	return r, nil
}

// parseIPAddress reads the contents of an IPAddress BIT STRING (RFC 3779
// §2.2.3.8) and returns the lowest and highest address it stands for (the
// missing bits as zeros and as ones) and its last bit: -1 when it has no bits.
func parseIPAddress(bits cryptobyte.String, is4 bool) (min, max netip.Addr, last int, err error) {
	const rule = "RFC 3779 §2.2.3.8"
	size := 16
	if is4 {
		size = 4
	}
	if len(bits) == 0 || bits[0] > 7 || (len(bits) == 1 && bits[0] != 0) {
		return min, max, 0, malformed(rule, "bad unused-bits octet")
	}
	unused, data := bits[0], bits[1:]
	if len(data) > size {
		return min, max, 0, malformed(rule, "%d bits: longer than the address", len(data)*8-int(unused))
	}
	last = -1
	if n := len(data); n > 0 {
		mask := byte(1)<<unused - 1
		if data[n-1]&mask != 0 {
			return min, max, 0, malformed("X.690 §11.2.1", "nonzero padding bits")
		}
		last = int(data[n-1]>>unused) & 1
	}
	var lo, hi [16]byte
	copy(lo[:], data)
	copy(hi[:], data)
	if n := len(data); n > 0 {
		hi[n-1] |= byte(1)<<unused - 1
	}
	for i := len(data); i < size; i++ {
		hi[i] = 0xff
	}
	if is4 {
		return netip.AddrFrom4([4]byte(lo[:4])), netip.AddrFrom4([4]byte(hi[:4])), last, nil
	}
	return netip.AddrFrom16(lo), netip.AddrFrom16(hi), last, nil
}

// rangePrefix returns the prefix that covers exactly min..max, if one does.
func rangePrefix(min, max netip.Addr) (netip.Prefix, bool) {
	if min.BitLen() != max.BitLen() || max.Less(min) {
		return netip.Prefix{}, false
	}
	lo, hi := min.As16(), max.As16()
	// Count the common leading bits; past them min must be all zeros and max all ones.
	off := 0
	if min.Is4() {
		off = 12
	}
	bits := 0
	i := off
	for ; i < 16 && lo[i] == hi[i]; i++ {
		bits += 8
	}
	if i < 16 {
		x := lo[i] ^ hi[i]
		for x&0x80 == 0 {
			x <<= 1
			bits++
		}
		// The differing tail of this byte must be 0...0 in lo and 1...1 in hi.
		tail := byte(0xff) >> (bits % 8)
		if lo[i]&tail != 0 || hi[i]&tail != tail {
			return netip.Prefix{}, false
		}
		for j := i + 1; j < 16; j++ {
			if lo[j] != 0 || hi[j] != 0xff {
				return netip.Prefix{}, false
			}
		}
	}
	return netip.PrefixFrom(min, bits), true
}

// parseASIdentifiers reads the extnValue of an ASIdentifiers extension
// (RFC 3779 §3.2.3). asnum must be present and rdi absent (RFC 6487 §4.8.11).
func parseASIdentifiers(der []byte) (*ASSet, error) {
	const rule = "RFC 3779 §3.2.3"
	input := cryptobyte.String(der)
	var ids, asnum cryptobyte.String
	if !input.ReadASN1(&ids, asn1.SEQUENCE) || !input.Empty() {
		return nil, malformed(rule, "asIdentifiers: want one SEQUENCE")
	}
	var present bool
	if !ids.ReadOptionalASN1(&asnum, &present, asn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, malformed(rule, "asnum: want [0] EXPLICIT")
	}
	if !present {
		return nil, malformed("RFC 6487 §4.8.11", "asIdentifiers: asnum absent")
	}
	if !ids.Empty() {
		// Only rdi [1] could follow, and RFC 6487 §4.8.11 forbids it.
		return nil, malformed("RFC 6487 §4.8.11", "asIdentifiers: rdi or trailing data present")
	}
	set, err := parseASIdentifierChoice(&asnum)
	if err != nil {
		return nil, within("asnum", err)
	}
	if !asnum.Empty() {
		return nil, malformed(rule, "asnum: %d trailing bytes", len(asnum))
	}
	return set, nil
}

// parseASIdentifierChoice reads inherit or asIdsOrRanges (RFC 3779 §3.2.3.2).
func parseASIdentifierChoice(s *cryptobyte.String) (*ASSet, error) {
	inherit, list, err := readChoice(s, "RFC 3779 §3.2.3.2", "asIdentifierChoice")
	if err != nil {
		return nil, err
	}
	if inherit {
		return &ASSet{Inherit: true}, nil
	}
	if list.Empty() {
		return nil, malformed("RFC 3779 §3.2.3.3", "asIdsOrRanges: empty")
	}
	ranges := make([]ASRange, 0, len(list)/minASIdOrRange)
	for i := 0; !list.Empty(); i++ {
		r, err := parseASIdOrRange(&list)
		if err != nil {
			return nil, within(fmt.Sprintf("asIdsOrRanges[%d]", i), err)
		}
		// RFC 3779 §3.2.3.3: sorted, and overlapping or adjacent entries merged.
		if n := len(ranges); n > 0 && uint64(ranges[n-1].Max)+1 >= uint64(r.Min) {
			return nil, malformed("RFC 3779 §3.2.3.3", "asIdsOrRanges[%d]: %s not sorted after %s, or overlaps or adjoins it", i, r, ranges[n-1])
		}
		ranges = append(ranges, r)
	}
	return &ASSet{Ranges: ranges}, nil
}

// parseASIdOrRange reads one id or range (RFC 3779 §3.2.3.4 to §3.2.3.8).
func parseASIdOrRange(s *cryptobyte.String) (ASRange, error) {
	if s.PeekASN1Tag(asn1.INTEGER) {
		id, err := parseASId(s)
		if err != nil {
			return ASRange{}, within("id", err)
		}
		return ASRange{Min: id, Max: id}, nil
	}
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, asn1.SEQUENCE) {
		return ASRange{}, malformed("RFC 3779 §3.2.3.4", "want id or range")
	}
	min, err := parseASId(&seq)
	if err != nil {
		return ASRange{}, within("range.min", err)
	}
	max, err := parseASId(&seq)
	if err != nil {
		return ASRange{}, within("range.max", err)
	}
	if !seq.Empty() {
		return ASRange{}, malformed("RFC 3779 §3.2.3.7", "range: %d trailing bytes", len(seq))
	}
	if min > max {
		return ASRange{}, malformed("RFC 3779 §3.2.3.7", "range: min %d > max %d", min, max)
	}
	return ASRange{Min: min, Max: max}, nil
}

// parseASId reads an ASId: a DER INTEGER in 0..2^32-1 (RFC 3779 §3.2.3.8).
func parseASId(s *cryptobyte.String) (uint32, error) {
	var v int64
	if !s.ReadASN1Int64WithTag(&v, asn1.INTEGER) {
		return 0, malformed("RFC 3779 §3.2.3.8", "want DER INTEGER")
	}
	if v < 0 || v > math.MaxUint32 {
		return 0, malformed("RFC 3779 §3.2.3.8", "AS number %d out of range", v)
	}
	return uint32(v), nil
}

// Set operations. They assume canonical ranges, as the parsers return them,
// and never allocate except for Intersect's result.

// CoversRange reports whether every address in min..max lies in s.
// A nil or inherited set covers nothing: resolve inherit first.
func (s *IPSet) CoversRange(min, max netip.Addr) bool {
	if s == nil || s.Inherit || max.Less(min) {
		return false
	}
	rs := s.Ranges
	// The first range that ends at or after min is the only candidate,
	// because the ranges neither overlap nor adjoin.
	i := sort.Search(len(rs), func(i int) bool { return !rs[i].Max.Less(min) })
	return i < len(rs) && rs[i].Min.Compare(min) <= 0 && max.Compare(rs[i].Max) <= 0
}

// CoversPrefix reports whether every address of p lies in s.
func (s *IPSet) CoversPrefix(p netip.Prefix) bool {
	if !p.IsValid() {
		return false
	}
	p = p.Masked()
	return s.CoversRange(p.Addr(), lastAddr(p))
}

// lastAddr returns the highest address of a masked prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().As16()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	for i := bits; i < 128; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	if p.Addr().Is4() {
		return netip.AddrFrom4([4]byte(a[12:]))
	}
	return netip.AddrFrom16(a)
}

// Contains reports whether every address in child lies in s. s must be
// effective (an inherited s contains nothing); a nil child, or one marked
// inherit, takes its resources from the issuer and is contained.
func (s *IPSet) Contains(child *IPSet) bool {
	if child == nil || child.Inherit || len(child.Ranges) == 0 {
		return true
	}
	if s == nil || s.Inherit {
		return false
	}
	p := s.Ranges
	for _, c := range child.Ranges {
		for len(p) > 0 && p[0].Max.Less(c.Min) {
			p = p[1:]
		}
		if len(p) == 0 || c.Min.Less(p[0].Min) || p[0].Max.Less(c.Max) {
			return false
		}
	}
	return true
}

// Intersect returns the addresses in both s and o, nil when there are none.
// Both must be effective; an inherited set counts as empty.
func (s *IPSet) Intersect(o *IPSet) *IPSet {
	if s == nil || o == nil || s.Inherit || o.Inherit {
		return nil
	}
	a, b := s.Ranges, o.Ranges
	var out []AddrRange
	for len(a) > 0 && len(b) > 0 {
		lo, hi := a[0].Min, a[0].Max
		if lo.Less(b[0].Min) {
			lo = b[0].Min
		}
		if b[0].Max.Less(hi) {
			hi = b[0].Max
		}
		if !hi.Less(lo) {
			out = append(out, AddrRange{Min: lo, Max: hi})
		}
		if a[0].Max.Less(b[0].Max) {
			a = a[1:]
		} else {
			b = b[1:]
		}
	}
	if out == nil {
		return nil
	}
	return &IPSet{Ranges: out}
}

// CoversRange reports whether every AS number in min..max lies in s.
// A nil or inherited set covers nothing: resolve inherit first.
func (s *ASSet) CoversRange(min, max uint32) bool {
	if s == nil || s.Inherit || max < min {
		return false
	}
	rs := s.Ranges
	i := sort.Search(len(rs), func(i int) bool { return rs[i].Max >= min })
	return i < len(rs) && rs[i].Min <= min && max <= rs[i].Max
}

// CoversASN reports whether asn lies in s.
func (s *ASSet) CoversASN(asn uint32) bool { return s.CoversRange(asn, asn) }

// Contains reports whether every AS number in child lies in s, with the same
// inherit rules as IPSet.Contains.
func (s *ASSet) Contains(child *ASSet) bool {
	if child == nil || child.Inherit || len(child.Ranges) == 0 {
		return true
	}
	if s == nil || s.Inherit {
		return false
	}
	p := s.Ranges
	for _, c := range child.Ranges {
		for len(p) > 0 && p[0].Max < c.Min {
			p = p[1:]
		}
		if len(p) == 0 || c.Min < p[0].Min || p[0].Max < c.Max {
			return false
		}
	}
	return true
}

// Intersect returns the AS numbers in both s and o, nil when there are none.
// Both must be effective; an inherited set counts as empty.
func (s *ASSet) Intersect(o *ASSet) *ASSet {
	if s == nil || o == nil || s.Inherit || o.Inherit {
		return nil
	}
	a, b := s.Ranges, o.Ranges
	var out []ASRange
	for len(a) > 0 && len(b) > 0 {
		lo, hi := max(a[0].Min, b[0].Min), min(a[0].Max, b[0].Max)
		if lo <= hi {
			out = append(out, ASRange{Min: lo, Max: hi})
		}
		if a[0].Max < b[0].Max {
			a = a[1:]
		} else {
			b = b[1:]
		}
	}
	if out == nil {
		return nil
	}
	return &ASSet{Ranges: out}
}

// Resolve returns the effective resources of a certificate with resources r
// whose issuer's effective resources are issuer: each family marked inherit
// takes the issuer's (RFC 3779 §2.2.3.5, §3.2.3.3). The result shares
// slices with r and issuer.
func (r Resources) Resolve(issuer Resources) Resources {
	if r.IPv4 != nil && r.IPv4.Inherit {
		r.IPv4 = issuer.IPv4
	}
	if r.IPv6 != nil && r.IPv6.Inherit {
		r.IPv6 = issuer.IPv6
	}
	if r.AS != nil && r.AS.Inherit {
		r.AS = issuer.AS
	}
	return r
}

// Contains reports whether every resource of child lies in r, the effective
// resources of child's issuer (RFC 6487 §7.2 step 6 and RFC 3779 §2.3, §3.3).
// A child family marked inherit is contained by definition.
func (r Resources) Contains(child Resources) bool {
	return r.IPv4.Contains(child.IPv4) && r.IPv6.Contains(child.IPv6) && r.AS.Contains(child.AS)
}

// Intersect returns the resources in both r and o, family by family, for
// the "trim" overclaim policy. Both must be effective (see Resolve).
func (r Resources) Intersect(o Resources) Resources {
	return Resources{
		IPv4: r.IPv4.Intersect(o.IPv4),
		IPv6: r.IPv6.Intersect(o.IPv6),
		AS:   r.AS.Intersect(o.AS),
	}
}

// CoversPrefix reports whether every address of p lies in the family of r
// that p belongs to. r must be effective.
func (r Resources) CoversPrefix(p netip.Prefix) bool {
	if p.Addr().Is4() {
		return r.IPv4.CoversPrefix(p)
	}
	return r.IPv6.CoversPrefix(p)
}

// CoversASN reports whether asn lies in r. r must be effective.
func (r Resources) CoversASN(asn uint32) bool { return r.AS.CoversASN(asn) }
