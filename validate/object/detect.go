package object

import (
	"bytes"
	"path"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Type names an RPKI object type by the file extension RPKI repositories use.
type Type string

const (
	TypeUnknown Type = ""
	TypeTAL     Type = "tal"
	TypeCert    Type = "cer"
	TypeCRL     Type = "crl"
	TypeMFT     Type = "mft"
	TypeROA     Type = "roa"
	TypeASPA    Type = "asa"
	TypeGBR     Type = "gbr"
	TypeTAK     Type = "tak"
)

// TypeFromName gives the type a file name's extension announces.
func TypeFromName(name string) Type {
	switch t := Type(strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))); t {
	case TypeTAL, TypeCert, TypeCRL, TypeMFT, TypeROA, TypeASPA, TypeGBR, TypeTAK:
		return t
	}
	return TypeUnknown
}

// Detect tells an object's type from its contents, falling back to the
// name's extension when the contents do not say (a BER-encoded CMS wrapper
// cannot be peeked into with a DER reader). It does not validate anything.
func Detect(name string, data []byte) Type {
	if t := detectContent(data); t != TypeUnknown {
		return t
	}
	return TypeFromName(name)
}

func detectContent(data []byte) Type {
	if looksLikeTAL(data) {
		return TypeTAL
	}
	in := cryptobyte.String(data)
	var outer cryptobyte.String
	if !in.ReadASN1(&outer, asn1.SEQUENCE) {
		return TypeUnknown
	}
	// ContentInfo starts with its contentType OID; a certificate or CRL
	// with its to-be-signed SEQUENCE.
	if outer.PeekASN1Tag(asn1.OBJECT_IDENTIFIER) {
		return detectSignedObject(outer)
	}
	var tbs cryptobyte.String
	if !outer.ReadASN1(&tbs, asn1.SEQUENCE) {
		return TypeUnknown
	}
	switch {
	case tbs.PeekASN1Tag(asn1.Tag(0).Constructed().ContextSpecific()):
		return TypeCert // TBSCertificate opens with its [0] version
	case tbs.PeekASN1Tag(asn1.INTEGER):
		return TypeCRL // TBSCertList of a v2 CRL opens with its version INTEGER
	}
	return TypeUnknown
}

// detectSignedObject reads the eContentType of a DER ContentInfo.
func detectSignedObject(ci cryptobyte.String) Type {
	var ct, sdWrap, sd, eci, eType cryptobyte.String
	if !ci.ReadASN1(&ct, asn1.OBJECT_IDENTIFIER) || !oidEqual(ct, oidSignedData) ||
		!ci.ReadASN1(&sdWrap, asn1.Tag(0).Constructed().ContextSpecific()) ||
		!sdWrap.ReadASN1(&sd, asn1.SEQUENCE) ||
		!sd.SkipASN1(asn1.INTEGER) || !sd.SkipASN1(asn1.SET) ||
		!sd.ReadASN1(&eci, asn1.SEQUENCE) || !eci.ReadASN1(&eType, asn1.OBJECT_IDENTIFIER) {
		return TypeUnknown
	}
	switch {
	case oidEqual(eType, oidCTROA):
		return TypeROA
	case oidEqual(eType, oidCTMFT):
		return TypeMFT
	case oidEqual(eType, oidCTASPA):
		return TypeASPA
	case oidEqual(eType, oidCTGBR):
		return TypeGBR
	case oidEqual(eType, oidCTTAK):
		return TypeTAK
	}
	return TypeUnknown
}

// looksLikeTAL is true for text that starts the way RFC 8630 TALs start: a
// comment or a URI.
func looksLikeTAL(data []byte) bool {
	for _, p := range [][]byte{[]byte("#"), []byte("rsync://"), []byte("https://")} {
		if bytes.HasPrefix(data, p) {
			return true
		}
	}
	return false
}
