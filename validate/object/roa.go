package object

import (
	"math"
	"net/netip"
	"strconv"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ROA is a parsed Route Origin Authorization (RFC 9582).
type ROA struct {
	ASID     uint32
	Prefixes []ROAPrefix // in the order of the eContent; IPv4 family first when both are present
	Signed   *SignedObject
}

// ROAPrefix is one ROAIPAddress: a prefix with its host bits zero and the
// longest prefix length the ROA authorizes for it. MaxLength equals the
// prefix length when the eContent leaves maxLength out.
type ROAPrefix struct {
	Prefix    netip.Prefix
	MaxLength int
}

// ParseROA parses a ROA: the CMS wrapper, the eContent, and the checks
// between the EE certificate and the content that need no issuer. When the
// EE certificate lists its IP resources, every prefix must lie in them;
// when it inherits them, that check needs the issuer's resources and is
// left to validate. Prefixes alias nothing in der.
func ParseROA(der []byte) (*ROA, error) {
	so, err := ParseSignedObject(der, oidCTROA)
	if err != nil {
		return nil, err
	}
	roa, err := parseROAContent(so.Content)
	if err != nil {
		return nil, within("ROA", err)
	}
	if err := checkROAResources(so.EE.Resources, roa.Prefixes); err != nil {
		return nil, err
	}
	roa.Signed = so
	return roa, nil
}

// checkROAResources applies RFC 9582 §5 to the EE certificate: IP resources
// present, AS resources absent (the asID is a claim of the content, not of
// the certificate), and, for families listed rather than inherited, every
// prefix inside them.
func checkROAResources(r Resources, prefixes []ROAPrefix) error {
	const rule = "RFC 9582 §5"
	if r.AS != nil {
		return malformed(rule, "EE certificate: AS resources present")
	}
	if r.IPv4 == nil && r.IPv6 == nil {
		return malformed(rule, "EE certificate: no IP resources")
	}
	for _, p := range prefixes {
		set := r.IPv6
		if p.Prefix.Addr().Is4() {
			set = r.IPv4
		}
		if set != nil && set.Inherit {
			continue // resolved against the issuer by validate
		}
		if !set.CoversPrefix(p.Prefix) {
			return malformed(rule, "prefix %s: outside the EE certificate's resources", p.Prefix)
		}
	}
	return nil
}

// The shortest ROAIPAddress: a SEQUENCE header around a 0/0 BIT STRING.
const minROAIPAddress = 2 + 3

// parseROAContent reads the eContent of a ROA (RFC 9582 §4):
//
//	RouteOriginAttestation ::= SEQUENCE {
//	  version [0] INTEGER DEFAULT 0,
//	  asID ASID,
//	  ipAddrBlocks SEQUENCE (SIZE(1..2)) OF ROAIPAddressFamily }
//	ROAIPAddressFamily ::= SEQUENCE {
//	  addressFamily OCTET STRING (SIZE(2)),
//	  addresses SEQUENCE (SIZE(1..MAX)) OF ROAIPAddress }
//	ROAIPAddress ::= SEQUENCE {
//	  address IPAddress,
//	  maxLength INTEGER OPTIONAL }
func parseROAContent(content []byte) (*ROA, error) {
	const rule = "RFC 9582 §4"
	input := cryptobyte.String(content)
	var seq, blocks cryptobyte.String
	if !input.ReadASN1(&seq, asn1.SEQUENCE) || !input.Empty() {
		return nil, malformed(rule, "want one DER SEQUENCE")
	}
	if err := readDefaultVersion(&seq, "RFC 9582 §4.1", 0); err != nil {
		return nil, err
	}
	roa := &ROA{}
	asid, err := readASID(&seq, "RFC 9582 §4.2", "asID")
	if err != nil {
		return nil, err
	}
	roa.ASID = asid
	if !seq.ReadASN1(&blocks, asn1.SEQUENCE) {
		return nil, malformed("RFC 9582 §4.3", "ipAddrBlocks: want SEQUENCE")
	}
	if !seq.Empty() {
		return nil, malformed(rule, "%d bytes after ipAddrBlocks", len(seq))
	}
	roa.Prefixes = make([]ROAPrefix, 0, len(blocks)/minROAIPAddress) // bounded by the input
	var seen [3]bool                                                 // by AFI
	for i := 0; !blocks.Empty(); i++ {
		if i == 2 {
			return nil, malformed("RFC 9582 §4.3", "ipAddrBlocks: more than 2 families")
		}
		afi, prefixes, err := parseROAIPAddressFamily(&blocks, roa.Prefixes)
		if err != nil {
			return nil, within("ipAddrBlocks["+strconv.Itoa(i)+"]", err)
		}
		if seen[afi] {
			return nil, malformed("RFC 9582 §4.3.1", "ipAddrBlocks: address family %d twice", afi)
		}
		seen[afi] = true
		roa.Prefixes = prefixes
	}
	if len(roa.Prefixes) == 0 {
		return nil, malformed("RFC 9582 §4.3", "ipAddrBlocks: empty")
	}
	return roa, nil
}

// parseROAIPAddressFamily reads one ROAIPAddressFamily and appends its
// prefixes to out. The AFI is exactly two octets, 1 or 2: RFC 9582 §4.3.1
// leaves no room for the SAFI octet RFC 3779 allows.
func parseROAIPAddressFamily(s *cryptobyte.String, out []ROAPrefix) (int, []ROAPrefix, error) {
	const rule = "RFC 9582 §4.3.1"
	var fam, afi, addrs cryptobyte.String
	if !s.ReadASN1(&fam, asn1.SEQUENCE) {
		return 0, nil, malformed(rule, "want SEQUENCE")
	}
	if !fam.ReadASN1(&afi, asn1.OCTET_STRING) || len(afi) != 2 || afi[0] != 0 ||
		(afi[1] != afiIPv4 && afi[1] != afiIPv6) {
		return 0, nil, malformed(rule, "addressFamily: want 0001 or 0002")
	}
	if !fam.ReadASN1(&addrs, asn1.SEQUENCE) || !fam.Empty() {
		return 0, nil, malformed(rule, "want addresses SEQUENCE and nothing after it")
	}
	if addrs.Empty() {
		return 0, nil, malformed(rule, "addresses: empty")
	}
	is4 := afi[1] == afiIPv4
	for j := 0; !addrs.Empty(); j++ {
		p, err := parseROAIPAddress(&addrs, is4)
		if err != nil {
			return 0, nil, within("addresses["+strconv.Itoa(j)+"]", err)
		}
		// Duplicates and order are left as they come: RFC 9582 §4.3.3 asks
		// issuers for the canonical form (SHOULD) but does not make relying
		// parties reject other forms. validate sorts and dedupes VRPs.
		out = append(out, p)
	}
	return int(afi[1]), out, nil
}

// parseROAIPAddress reads one ROAIPAddress (RFC 9582 §4.3.2).
func parseROAIPAddress(s *cryptobyte.String, is4 bool) (ROAPrefix, error) {
	const rule = "RFC 9582 §4.3.2"
	var entry, bits cryptobyte.String
	if !s.ReadASN1(&entry, asn1.SEQUENCE) {
		return ROAPrefix{}, malformed(rule, "want SEQUENCE")
	}
	if !entry.ReadASN1(&bits, asn1.BIT_STRING) {
		return ROAPrefix{}, malformed(rule, "address: want BIT STRING")
	}
	min, _, _, err := parseIPAddress(bits, is4)
	if err != nil {
		return ROAPrefix{}, within("address", err)
	}
	length := 8*(len(bits)-1) - int(bits[0]) // parseIPAddress checked len(bits) >= 1
	p := ROAPrefix{Prefix: netip.PrefixFrom(min, length), MaxLength: length}
	if entry.Empty() {
		return p, nil
	}
	var maxLen int64
	if !entry.ReadASN1Int64WithTag(&maxLen, asn1.INTEGER) || !entry.Empty() {
		return ROAPrefix{}, malformed(rule, "%s: maxLength: want one DER INTEGER", p.Prefix)
	}
	if maxLen < int64(length) {
		return ROAPrefix{}, malformed(rule, "maxLength %d < prefix length %d", maxLen, length)
	}
	if maxLen > int64(min.BitLen()) {
		return ROAPrefix{}, malformed(rule, "%s: maxLength %d > %d", p.Prefix, maxLen, min.BitLen())
	}
	p.MaxLength = int(maxLen)
	return p, nil
}

// readASID reads an AS number: a DER INTEGER in 0..2^32-1.
func readASID(s *cryptobyte.String, rule, field string) (uint32, error) {
	var v int64
	if !s.ReadASN1Int64WithTag(&v, asn1.INTEGER) {
		return 0, malformed(rule, "%s: want DER INTEGER", field)
	}
	if v < 0 || v > math.MaxUint32 {
		return 0, malformed(rule, "%s: %d out of range 0..4294967295", field, v)
	}
	return uint32(v), nil
}
