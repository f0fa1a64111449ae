package objecttest

import (
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// MftSpec describes a manifest (RFC 9286).
type MftSpec struct {
	Number     int64
	BigNumber  *big.Int  // replaces Number when non-nil, for numbers past 63 bits or 20 octets
	ThisUpdate time.Time // zero: Now() minus an hour
	NextUpdate time.Time // zero: Now() plus a day

	// Files are listed by Name with the SHA-256 of their DER, in the
	// order given; Entries follow as given, for wrong or odd hashes.
	Files   []Object
	Entries []FileHash

	HashAlg         asn1.ObjectIdentifier // replaces id-sha256 as fileHashAlg
	Version         int                   // encoded when non-zero or ExplicitVersion
	ExplicitVersion bool                  // encode version [0] even when it is the DEFAULT 0

	// EE overrides the EE certificate, whose resources default to inherit
	// and validity to ThisUpdate through NextUpdate. EE.URI defaults to
	// the issuer's ManifestURI.
	EE  CertSpec
	CMS CMSSpec
}

// FileHash is one FileAndHash entry, encoded as given: Hash may have any
// length.
type FileHash struct {
	Name string
	Hash []byte
}

// Manifest builds a manifest signed by a new EE certificate of iss,
// published at the issuer's ManifestURI.
func (iss *Issuer) Manifest(spec MftSpec) Object {
	spec.ThisUpdate = first(spec.ThisUpdate, Now().Add(-time.Hour))
	spec.NextUpdate = first(spec.NextUpdate, Now().Add(24*time.Hour))
	p := profile{
		ip: []string{"inherit"}, as: []string{"inherit"},
		notBefore: spec.ThisUpdate, notAfter: spec.NextUpdate,
	}
	return iss.signedObject(&spec.EE, &spec.CMS, p, iss.ManifestURI, ".mft", oidCTMft(), mftContent(&spec))
}

// mftContent encodes Manifest.
func mftContent(spec *MftSpec) []byte {
	number := spec.BigNumber
	if number == nil {
		number = big.NewInt(spec.Number)
	}
	hashAlg := spec.HashAlg
	if hashAlg == nil {
		hashAlg = oidSHA256()
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addVersion(b, spec.Version, spec.ExplicitVersion)
		b.AddASN1BigInt(number)
		b.AddASN1GeneralizedTime(spec.ThisUpdate.UTC())
		b.AddASN1GeneralizedTime(spec.NextUpdate.UTC())
		b.AddASN1ObjectIdentifier(hashAlg)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, f := range spec.Files {
				h := sha256.Sum256(f.DER)
				addFileAndHash(b, f.Name, h[:])
			}
			for _, e := range spec.Entries {
				addFileAndHash(b, e.Name, e.Hash)
			}
		})
	})
	return b.BytesOrPanic()
}

func addFileAndHash(b *cryptobyte.Builder, name string, hash []byte) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(name)) })
		b.AddASN1BitString(hash)
	})
}
