package objecttest

import (
	"strconv"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ASPASpec describes an ASPA (draft-ietf-sidrops-aspa-profile, the
// profile with version [0] 1). Providers are encoded as given: unsorted,
// duplicated or AS0 if the test says so.
type ASPASpec struct {
	Customer  int64
	Providers []int64

	Version     int  // zero: 1, the current profile
	OmitVersion bool // leave version out, as the pre-2023 drafts did

	// EE overrides the EE certificate, whose AS resources default to the
	// customer AS and which has no IP resources.
	EE  CertSpec
	CMS CMSSpec
}

// ASPA builds an ASPA signed by a new EE certificate of iss, published as
// <EE SKI>.asa in the issuer's repository.
func (iss *Issuer) ASPA(spec ASPASpec) Object {
	p := profile{as: []string{"AS" + strconv.FormatInt(spec.Customer, 10)}}
	return iss.signedObject(&spec.EE, &spec.CMS, p, "", ".asa", oidCTASPA(), aspaContent(&spec))
}

// aspaContent encodes ASProviderAttestation.
func aspaContent(spec *ASPASpec) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if !spec.OmitVersion {
			addVersion(b, orInt(spec.Version, 1), true)
		}
		b.AddASN1Int64(spec.Customer)
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, p := range spec.Providers {
				b.AddASN1Int64(p)
			}
		})
	})
	return b.BytesOrPanic()
}
