package objecttest

import (
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// TAKey is one key of a TAK (RFC 9691 §3): comments, the URIs of the TA
// certificate, and the DER SubjectPublicKeyInfo.
type TAKey struct {
	Comments []string
	URIs     []string
	SPKI     []byte
}

// TAKSpec describes a TAK (RFC 9691).
type TAKSpec struct {
	Current     *TAKey // nil: the issuer's own key, from TAKey()
	Predecessor *TAKey
	Successor   *TAKey

	Version         int  // encoded when non-zero or ExplicitVersion
	ExplicitVersion bool // encode version [0] even when it is the DEFAULT 0

	// EE overrides the EE certificate, whose resources default to inherit.
	EE  CertSpec
	CMS CMSSpec
}

// TAKey returns the TAKey of iss: its certificate URI and key.
func (iss *Issuer) TAKey(comments ...string) TAKey {
	return TAKey{Comments: comments, URIs: []string{iss.URI}, SPKI: iss.SPKI()}
}

// TAK builds a TAK signed by a new EE certificate of iss (which should be
// a TA), published as <EE SKI>.tak in the issuer's repository.
func (iss *Issuer) TAK(spec TAKSpec) Object {
	if spec.Current == nil {
		k := iss.TAKey()
		spec.Current = &k
	}
	p := profile{ip: []string{"inherit"}, as: []string{"inherit"}}
	return iss.signedObject(&spec.EE, &spec.CMS, p, "", ".tak", oidCTTAK(), takContent(&spec))
}

// takContent encodes TAK.
func takContent(spec *TAKSpec) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addVersion(b, spec.Version, spec.ExplicitVersion)
		addTAKey(b, spec.Current)
		for i, k := range []*TAKey{spec.Predecessor, spec.Successor} {
			if k == nil {
				continue
			}
			b.AddASN1(asn1.Tag(i).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				addTAKey(b, k)
			})
		}
	})
	return b.BytesOrPanic()
}

func addTAKey(b *cryptobyte.Builder, k *TAKey) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, c := range k.Comments {
				b.AddASN1(asn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(c)) })
			}
		})
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, u := range k.URIs {
				b.AddASN1(asn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(u)) })
			}
		})
		b.AddBytes(k.SPKI)
	})
}
