package object

import "net/netip"

// AddrRange is an inclusive range of addresses of one family, as RFC 3779
// IPAddressOrRange describes it (a prefix is the range it covers).
type AddrRange struct {
	Min, Max netip.Addr
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

// TODO(#3): parsing of the extensions (parseIPAddrBlocks, parseASIdentifiers)
// and the set operations validate needs (containment, intersection).
