// Package objecttest builds real, signed RPKI objects and small test PKIs
// with throwaway keys, so that tests never hand-craft bytes. It is imported
// only from _test.go files and imports no tally package; its OIDs are its
// own, so a wrong constant in a parser cannot hide behind the same mistake
// here.
//
// A tree starts at a TA and grows with its methods:
//
//	ta := objecttest.NewTA(objecttest.CertSpec{})
//	ca := ta.CA(objecttest.CertSpec{IP: []string{"10.0.0.0/8"}, AS: []string{"AS64496"}})
//	roa := ca.ROA(objecttest.ROASpec{
//		ASID:     64496,
//		Prefixes: []objecttest.ROAPrefix{{Prefix: "10.1.0.0/16", MaxLength: 24}},
//	})
//	crl := ca.CRL(objecttest.CRLSpec{Number: 1})
//	mft := ca.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{crl, roa}})
//	// roa.DER, roa.URI, roa.Name, roa.EE ...
//
// Every spec's zero value gives a profile-correct object (RFC 6487, RFC
// 6488 and the profile of the type) valid at Now(); each field overrides
// one default or breaks one thing, and the builders encode what they are
// given without sorting or checking it, so negative tests need no
// hand-made bytes either: a ROAPrefix{Prefix: "10.0.0.0/24", MaxLength: 16}
// gives a maxLength below the prefix length,
// CMSSpec{WrongDigest: true} a signed object whose message digest does not
// match, CertSpec{Omit: ExtSKI} a certificate without SKI.
//
// Resources are strings, one resource each: "10.0.0.0/8",
// "10.0.0.0-10.0.1.255" (always encoded as a range), "2001:db8::/32",
// "inherit" (both address families in an IP list), "ipv4:inherit",
// "ipv6:inherit", "AS64496" or "64496", "AS64496-AS64511", and "inherit"
// in an AS list. Address families are encoded in the order of their first
// resource, resources in the order given. A malformed string panics.
//
// URIs derive from SKIs (see RsyncBase), so a CA's SIA, its children's AIA
// and CRLDP, and its manifest and CRL agree; each can be overridden. Keys
// come from a fixed set of PEM constants (Key, ECKey) through a KeySource,
// and PKCS #1 v1.5 signatures are deterministic, so the same sequence of
// builder calls gives the same bytes on every run. Building costs one RSA
// signature (about a millisecond) per certificate, CRL or CMS signature.
//
// The builders panic on an impossible spec (a malformed resource string,
// a serial crypto/x509 refuses); in a test that is a failure with a stack.
package objecttest
