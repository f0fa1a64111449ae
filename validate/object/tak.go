package object

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"strconv"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// TAK is a parsed Trust Anchor Key object (RFC 9691): the TA's current key
// and, during a key roll, the key before or after it.
type TAK struct {
	Current     *TAKey
	Predecessor *TAKey // nil when absent
	Successor   *TAKey // nil when absent
	Signed      *SignedObject
}

// TAKey is one key of a TAK with the TAL-like data a relying party needs to
// use it. SPKI aliases the input; the strings do not.
type TAKey struct {
	Comments  []string // UTF-8, one per TAL comment line
	URIs      []string // rsync:// or https://, checked as TAL URIs are
	SPKI      []byte   // subjectPublicKeyInfo DER
	PublicKey crypto.PublicKey
}

// ParseTAK parses a TAK object: the CMS wrapper and its eContent. Whether
// Current matches the key of the TA certificate that issued the EE
// certificate is validate's to check, since it needs the issuer.
func ParseTAK(der []byte) (*TAK, error) {
	so, err := ParseSignedObject(der, oidCTTAK)
	if err != nil {
		return nil, err
	}
	t, err := parseTAKContent(so.Content)
	if err != nil {
		return nil, within("TAK", err)
	}
	t.Signed = so
	return t, nil
}

// parseTAKContent reads the eContent of a TAK (RFC 9691 §3, EXPLICIT tags):
//
//	TAK ::= SEQUENCE {
//	  version INTEGER DEFAULT 0,
//	  current TAKey,
//	  predecessor [0] TAKey OPTIONAL,
//	  successor [1] TAKey OPTIONAL }
func parseTAKContent(content []byte) (*TAK, error) {
	const rule = "RFC 9691 §3"
	input := cryptobyte.String(content)
	var seq cryptobyte.String
	if !input.ReadASN1(&seq, asn1.SEQUENCE) || !input.Empty() {
		return nil, malformed(rule, "want one DER SEQUENCE")
	}
	// The version is untagged here, unlike in the other RPKI contents. It
	// must be 0, the default, so DER never encodes it (X.690 §11.5).
	if seq.PeekASN1Tag(asn1.INTEGER) {
		return nil, malformed(rule, "version encoded, want it left out (DEFAULT 0)")
	}
	t := &TAK{}
	var err error
	if t.Current, err = parseTAKey(&seq); err != nil {
		return nil, within("current", err)
	}
	for _, opt := range []struct {
		tag  asn1.Tag
		name string
		dst  **TAKey
	}{
		{asn1.Tag(0).Constructed().ContextSpecific(), "predecessor", &t.Predecessor},
		{asn1.Tag(1).Constructed().ContextSpecific(), "successor", &t.Successor},
	} {
		var wrap cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&wrap, &present, opt.tag) {
			return nil, malformed(rule, "%s: bad EXPLICIT tag", opt.name)
		}
		if !present {
			continue
		}
		key, err := parseTAKey(&wrap)
		if err == nil && !wrap.Empty() {
			err = malformed(rule, "%d trailing bytes", len(wrap))
		}
		if err != nil {
			return nil, within(opt.name, err)
		}
		*opt.dst = key
	}
	if !seq.Empty() {
		return nil, malformed(rule, "%d unexpected bytes after the keys", len(seq))
	}
	return t, nil
}

// The shortest UTF8String or IA5String element, for sizing slices.
const minString = 2

// parseTAKey reads one TAKey (RFC 9691 §3.1):
//
//	TAKey ::= SEQUENCE {
//	  comments SEQUENCE SIZE (0..MAX) OF UTF8String,
//	  certificateURIs SEQUENCE SIZE (1..MAX) OF CertificateURI,
//	  subjectPublicKeyInfo SubjectPublicKeyInfo }
func parseTAKey(s *cryptobyte.String) (*TAKey, error) {
	const rule = "RFC 9691 §3.1"
	var key, comments, uris, spki cryptobyte.String
	if !s.ReadASN1(&key, asn1.SEQUENCE) {
		return nil, malformed(rule, "want TAKey SEQUENCE")
	}
	if !key.ReadASN1(&comments, asn1.SEQUENCE) {
		return nil, malformed(rule, "comments: want SEQUENCE")
	}
	if !key.ReadASN1(&uris, asn1.SEQUENCE) {
		return nil, malformed(rule, "certificateURIs: want SEQUENCE")
	}
	if !key.ReadASN1Element(&spki, asn1.SEQUENCE) {
		return nil, malformed(rule, "subjectPublicKeyInfo: want SEQUENCE")
	}
	if !key.Empty() {
		return nil, malformed(rule, "%d bytes after subjectPublicKeyInfo", len(key))
	}
	k := &TAKey{
		Comments: make([]string, 0, len(comments)/minString),
		URIs:     make([]string, 0, len(uris)/minString),
		SPKI:     spki,
	}
	for i := 0; !comments.Empty(); i++ {
		var c cryptobyte.String
		if !comments.ReadASN1(&c, asn1.UTF8String) || !utf8.Valid(c) {
			return nil, malformed(rule, "comments[%d]: want UTF8String", i)
		}
		k.Comments = append(k.Comments, string(c))
	}
	for i := 0; !uris.Empty(); i++ {
		var u cryptobyte.String
		if !uris.ReadASN1(&u, asn1.IA5String) {
			return nil, malformed(rule, "certificateURIs[%d]: want IA5String", i)
		}
		if err := checkTAURI(string(u)); err != nil {
			return nil, within("certificateURIs["+strconv.Itoa(i)+"]", err)
		}
		k.URIs = append(k.URIs, string(u))
	}
	if len(k.URIs) == 0 {
		return nil, malformed(rule, "certificateURIs: empty")
	}
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return nil, malformed(rule, "subjectPublicKeyInfo: %v", err)
	}
	if _, ok := pub.(*rsa.PublicKey); !ok {
		return nil, malformed("RFC 7935 §3", "subjectPublicKeyInfo: %T, want RSA", pub)
	}
	k.PublicKey = pub
	return k, nil
}
