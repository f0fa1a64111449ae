package objecttest

import (
	"crypto/x509/pkix"
	"math/big"
	"path"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CRLSpec describes a CRL (RFC 6487 §5): v2, sha256WithRSAEncryption, the
// issuer's name, AKI and CRLNumber, and an entry without extensions per
// revoked serial.
type CRLSpec struct {
	Number     int64
	ThisUpdate time.Time // zero: Now() minus an hour
	NextUpdate time.Time // zero: Now() plus a day
	Revoked    []int64   // serials, revoked at ThisUpdate, in the order given

	URI             string // "": the issuer's CRLURI
	Omit            Ext    // ExtAKI and ExtCRLNumber may be left out
	ExtraExtensions []pkix.Extension
	WrongSignature  bool // invert the last byte of the signature
}

// CRL builds a CRL signed by iss.
func (iss *Issuer) CRL(spec CRLSpec) Object {
	spec.ThisUpdate = first(spec.ThisUpdate, Now().Add(-time.Hour))
	spec.NextUpdate = first(spec.NextUpdate, Now().Add(24*time.Hour))
	o := Object{URI: or(spec.URI, iss.CRLURI), Serial: spec.Number}
	o.Name = path.Base(o.URI)
	tbs := iss.tbsCertList(&spec)
	sig := signSHA256(iss.Key, tbs)
	if spec.WrongSignature {
		sig[len(sig)-1] ^= 0xff
	}
	o.DER = der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(tbs)
			addAlgorithm(b, oidSHA256WithRSA(), true)
			b.AddASN1BitString(sig)
		})
	})
	return o
}

func (iss *Issuer) tbsCertList(spec *CRLSpec) []byte {
	exts := finishExtensions([]ext{
		{ExtAKI, false, authorityKeyID(iss.SKI)},
		{ExtCRLNumber, false, der(func(b *cryptobyte.Builder) { b.AddASN1BigInt(big.NewInt(spec.Number)) })},
	}, spec.Omit, 0, spec.ExtraExtensions)
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(1) // v2
			addAlgorithm(b, oidSHA256WithRSA(), true)
			b.AddBytes(iss.subject)
			addTime(b, spec.ThisUpdate)
			addTime(b, spec.NextUpdate)
			if len(spec.Revoked) > 0 {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, serial := range spec.Revoked {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1Int64(serial)
							addTime(b, spec.ThisUpdate)
						})
					}
				})
			}
			if len(exts) > 0 {
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					addExtensions(b, exts)
				})
			}
		})
	})
}

// addExtensions adds Extensions, leaving out critical when it is the
// DEFAULT FALSE.
func addExtensions(b *cryptobyte.Builder, exts []pkix.Extension) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, e := range exts {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(e.Id)
				if e.Critical {
					b.AddASN1Boolean(true)
				}
				b.AddASN1OctetString(e.Value)
			})
		}
	})
}
