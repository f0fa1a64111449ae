package objecttest

import (
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ROASpec describes a ROA (RFC 9582). The builder neither sorts nor checks:
// address families appear in the order of their first prefix, and prefixes
// within a family in the order given.
type ROASpec struct {
	ASID     int64
	Prefixes []ROAPrefix

	Version         int  // encoded when non-zero or ExplicitVersion
	ExplicitVersion bool // encode version [0] even when it is the DEFAULT 0, which DER forbids

	// EE overrides the EE certificate. Its IP resources default to the
	// ROA's prefixes, sorted and merged into RFC 3779 canonical form; it
	// has no AS resources.
	EE  CertSpec
	CMS CMSSpec
}

// ROAPrefix is one ROAIPAddress. A zero MaxLength is left out unless
// ZeroMaxLength asks for an explicit 0.
type ROAPrefix struct {
	Prefix        string // "192.0.2.0/24", "2001:db8::/32"
	MaxLength     int
	ZeroMaxLength bool
}

// ROA builds a ROA signed by a new EE certificate of iss, published as
// <EE SKI>.roa in the issuer's repository.
func (iss *Issuer) ROA(spec ROASpec) Object {
	prefixes := make([]string, len(spec.Prefixes))
	for i, p := range spec.Prefixes {
		prefixes[i] = p.Prefix
	}
	p := profile{ip: canonicalIPs(prefixes)}
	return iss.signedObject(&spec.EE, &spec.CMS, p, "", ".roa", oidCTROA(), roaContent(&spec))
}

// roaContent encodes RouteOriginAttestation.
func roaContent(spec *ROASpec) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addVersion(b, spec.Version, spec.ExplicitVersion)
		b.AddASN1Int64(spec.ASID)
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, fam := range roaFamilies(spec.Prefixes) {
				addROAFamily(b, fam)
			}
		})
	})
	return b.BytesOrPanic()
}

// roaFamilies groups the prefixes by address family, in order of first
// appearance.
func roaFamilies(prefixes []ROAPrefix) [][]ROAPrefix {
	var fams [][]ROAPrefix
	var afis []byte
	for _, p := range prefixes {
		afi := afiOf(parseIPItem(p.Prefix).prefix.Addr())
		i := 0
		for i < len(afis) && afis[i] != afi {
			i++
		}
		if i == len(afis) {
			afis = append(afis, afi)
			fams = append(fams, nil)
		}
		fams[i] = append(fams[i], p)
	}
	return fams
}

// addROAFamily adds a ROAIPAddressFamily.
func addROAFamily(b *cryptobyte.Builder, fam []ROAPrefix) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		afi := afiOf(parseIPItem(fam[0].Prefix).prefix.Addr())
		b.AddASN1OctetString([]byte{0, afi})
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, p := range fam {
				pfx := parseIPItem(p.Prefix).prefix
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
					addPrefixBits(b, pfx.Addr(), pfx.Bits())
					if p.MaxLength != 0 || p.ZeroMaxLength {
						b.AddASN1Int64(int64(p.MaxLength))
					}
				})
			}
		})
	})
}

// addVersion adds version [0] EXPLICIT INTEGER when v is not the DEFAULT 0,
// or when explicit asks for it anyway.
func addVersion(b *cryptobyte.Builder, v int, explicit bool) {
	if v == 0 && !explicit {
		return
	}
	b.AddASN1(asn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
		b.AddASN1Int64(int64(v))
	})
}
