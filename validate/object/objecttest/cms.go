package objecttest

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"path"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CMSSpec describes the RFC 6488 CMS wrapper of a signed object. The zero
// value gives a profile-correct wrapper: SignedData v3, digest sha256, the
// EE certificate and no CRL, one SignerInfo v3 with a subjectKeyIdentifier
// sid and the content-type, signing-time and message-digest attributes
// (DER-sorted), signed with rsaEncryption. Each other field breaks or
// varies one thing.
type CMSSpec struct {
	SigningTime   time.Time // zero: the EE certificate's notBefore
	NoSigningTime bool      // leave the signing-time attribute out
	SHA256WithRSA bool      // signatureAlgorithm sha256WithRSAEncryption instead of rsaEncryption

	// DigestAlgorithm replaces id-sha256 in digestAlgorithms and the
	// SignerInfo, and SignatureAlgorithm the SignerInfo's signatureAlgorithm
	// (with NULL parameters). Only the OIDs change: the digest is SHA-256
	// and the signature PKCS #1 v1.5 either way.
	DigestAlgorithm    asn1.ObjectIdentifier
	SignatureAlgorithm asn1.ObjectIdentifier

	// ContentType replaces the eContentType and the content-type attribute.
	ContentType          asn1.ObjectIdentifier
	WrongContentTypeAttr bool // content-type attribute id-data, unlike the eContentType
	WrongDigest          bool // message-digest attribute with its first byte inverted
	WrongSignature       bool // SignerInfo signature with its last byte inverted

	NoCertificates    bool     // leave out certificates [0]
	ExtraCertificates [][]byte // DER certificates after the EE certificate
	CRLs              [][]byte // DER CRLs for crls [1], which RFC 6488 forbids
	Version           int      // SignedData version; zero: 3
	SignerVersion     int      // SignerInfo version; zero: 3

	Content       []byte // replaces the payload as the eContent
	ContentSuffix []byte // bytes appended to the eContent (trailing data after the payload)
}

// signedObject wraps payload, of eContentType ctype, in CMS with a new EE
// certificate issued by iss. p holds the EE's default resources and
// validity; ext is the file name extension.
func (iss *Issuer) signedObject(ee *CertSpec, cms *CMSSpec, p profile, uri string, ext string, ctype asn1.ObjectIdentifier, payload []byte) Object {
	key, ski, name := iss.Keys.rsaKey(ee.Key)
	o := Object{SKI: ski, URI: or(ee.URI, or(uri, iss.Repo+name+ext))}
	o.Name = path.Base(o.URI)
	p.kind, p.pub, p.ski, p.subject = kindEE, &key.PublicKey, ski, name
	p.serial = iss.serialFor(ee)
	p.sia = []access{{oidADSignedObject(), o.URI}}
	o.Serial = p.serial
	o.EE = build(ee, p, iss.signer())

	if cms.ContentType != nil {
		ctype = cms.ContentType
	}
	content := payload
	if cms.Content != nil {
		content = cms.Content
	}
	content = append(slices.Clip(content), cms.ContentSuffix...)
	signingTime := first(cms.SigningTime, ee.NotBefore, p.notBefore, Now().AddDate(-1, 0, 0))
	o.DER = contentInfo(cms, ctype, content, o.EE, ski, key, signingTime)
	return o
}

// contentInfo builds ContentInfo { id-signedData, [0] SignedData }.
func contentInfo(cms *CMSSpec, ctype asn1.ObjectIdentifier, content, ee, ski []byte, key *rsa.PrivateKey, signingTime time.Time) []byte {
	attrs := signedAttrs(cms, ctype, content, signingTime)
	sig := signSHA256(key, attrs)
	if cms.WrongSignature {
		sig[len(sig)-1] ^= 0xff
	}
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidSignedData())
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1Int64(int64(orInt(cms.Version, 3)))
					b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
						addAlgorithm(b, cms.digestAlg(), false)
					})
					addEncapContentInfo(b, ctype, content)
					addCertificates(b, cms, ee)
					addSignerInfo(b, cms, ski, attrs, sig)
				})
			})
		})
	})
}

func addEncapContentInfo(b *cryptobyte.Builder, ctype asn1.ObjectIdentifier, content []byte) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(ctype)
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(content)
		})
	})
}

// addCertificates adds certificates [0] and crls [1], in the order given.
func addCertificates(b *cryptobyte.Builder, cms *CMSSpec, ee []byte) {
	if !cms.NoCertificates {
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddBytes(ee)
			for _, c := range cms.ExtraCertificates {
				b.AddBytes(c)
			}
		})
	}
	if len(cms.CRLs) > 0 {
		b.AddASN1(cbasn1.Tag(1).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			for _, c := range cms.CRLs {
				b.AddBytes(c)
			}
		})
	}
}

func (cms *CMSSpec) digestAlg() asn1.ObjectIdentifier {
	if cms.DigestAlgorithm != nil {
		return cms.DigestAlgorithm
	}
	return oidSHA256()
}

// addSignerInfo adds the SET OF one SignerInfo. attrs is the DER SET OF
// the signed attributes; here it is re-tagged [0] IMPLICIT.
func addSignerInfo(b *cryptobyte.Builder, cms *CMSSpec, ski, attrs, sig []byte) {
	var body cryptobyte.String
	in := cryptobyte.String(attrs)
	if !in.ReadASN1(&body, cbasn1.SET) {
		panic("objecttest: cannot read our own signed attributes")
	}
	sigAlg := oidRSAEncryption()
	if cms.SHA256WithRSA {
		sigAlg = oidSHA256WithRSA()
	}
	if cms.SignatureAlgorithm != nil {
		sigAlg = cms.SignatureAlgorithm
	}
	b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(int64(orInt(cms.SignerVersion, 3)))
			b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddBytes(ski)
			})
			addAlgorithm(b, cms.digestAlg(), false)
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddBytes(body)
			})
			addAlgorithm(b, sigAlg, true)
			b.AddASN1OctetString(sig)
		})
	})
}

// signedAttrs returns the DER SET OF the signed attributes, sorted by
// their encodings as X.690 §11.6 requires: the bytes the signature covers.
func signedAttrs(cms *CMSSpec, ctype asn1.ObjectIdentifier, content []byte, signingTime time.Time) []byte {
	ctAttr := ctype
	if cms.WrongContentTypeAttr {
		ctAttr = oidData()
	}
	digest := sha256.Sum256(content)
	if cms.WrongDigest {
		digest[0] ^= 0xff
	}
	attrs := [][]byte{
		attribute(oidContentType(), func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(ctAttr) }),
		attribute(oidMessageDigest(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest[:]) }),
	}
	if !cms.NoSigningTime {
		attrs = append(attrs, attribute(oidSigningTime(), func(b *cryptobyte.Builder) { addTime(b, signingTime) }))
	}
	slices.SortFunc(attrs, bytes.Compare)
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			for _, a := range attrs {
				b.AddBytes(a)
			}
		})
	})
}

// attribute is Attribute { attrType, attrValues SET OF one value }.
func attribute(oid asn1.ObjectIdentifier, value func(*cryptobyte.Builder)) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(cbasn1.SET, value)
		})
	})
}

// addAlgorithm adds an AlgorithmIdentifier, with NULL parameters when
// null is set (RFC 4055 for RSA) and none otherwise (RFC 5754 for SHA-2).
func addAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, null bool) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if null {
			b.AddASN1NULL()
		}
	})
}

// addTime adds a Time: UTCTime through 2049, GeneralizedTime from 2050
// (RFC 5280 §4.1.2.5).
func addTime(b *cryptobyte.Builder, t time.Time) {
	t = t.UTC()
	if t.Year() < 2050 {
		b.AddASN1UTCTime(t)
		return
	}
	b.AddASN1GeneralizedTime(t)
}

// signSHA256 signs the SHA-256 hash of msg with PKCS #1 v1.5, which is
// deterministic: the same key and message give the same signature.
func signSHA256(key *rsa.PrivateKey, msg []byte) []byte {
	h := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		panic("objecttest: " + err.Error())
	}
	return sig
}

func orInt(v, def int) int {
	if v != 0 {
		return v
	}
	return def
}
