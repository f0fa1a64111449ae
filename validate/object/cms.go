package object

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// SignedObject is an RPKI signed object (RFC 6488): a CMS SignedData with one
// EE certificate and one SignerInfo. Byte slices alias the input, except
// SignedAttrs and, when the wrapper chunked it, Content.
type SignedObject struct {
	Raw           []byte
	ContentType   []byte // eContentType OID contents
	Content       []byte // eContent, the DER of the payload
	EE            *Cert
	SignedAttrs   []byte // signedAttrs re-tagged as SET OF (the bytes the signature covers); a new buffer
	Signature     []byte
	MessageDigest []byte
	SigningTime   time.Time // always present (RFC 9589)
	// BER is true when the CMS wrapper used BER forms tally admits for
	// compatibility (see ber.go); the payload is always DER.
	BER bool
}

// Tags of the CMS structures (RFC 5652), as they appear on the wire.
var (
	tagCons0        = asn1.Tag(0).Constructed().ContextSpecific() // [0] EXPLICIT content, eContent; [0] IMPLICIT certificates, signedAttrs
	tagCRLs         = asn1.Tag(1).Constructed().ContextSpecific() // [1] IMPLICIT crls
	tagSKISID       = asn1.Tag(0).ContextSpecific()               // sid [0] IMPLICIT SubjectKeyIdentifier
	tagUnsignedAttr = asn1.Tag(1).Constructed().ContextSpecific() // [1] IMPLICIT unsignedAttrs
)

// cmsVersion3 is the contents of INTEGER 3, the SignedData and SignerInfo
// version RFC 6488 §2.1.1 and §2.1.6.1 require.
var cmsVersion3 = []byte{3}

// ParseSignedObject parses a CMS signed object (RFC 6488 §2, RFC 5652 §5)
// whose eContentType must be contentType (OID contents, from oid.go), and
// parses its EE certificate with ParseCert. It checks the structure and the
// signed attributes, not the signature: see CheckSignature. The CMS wrapper
// may use the two BER forms described in ber.go; then BER is set. Errors
// satisfy errors.Is(err, ErrMalformed).
func ParseSignedObject(der []byte, contentType []byte) (*SignedObject, error) {
	var r berReader
	in := cryptobyte.String(der)
	var ci, ct, wrap, sd cryptobyte.String
	if !r.readElement(&in, &ci, asn1.SEQUENCE) {
		return nil, malformed("RFC 6488 §2", "ContentInfo: want SEQUENCE, DER or with the BER wrapper forms of ber.go")
	}
	if !in.Empty() {
		return nil, malformed("RFC 6488 §2", "ContentInfo: %d trailing bytes", len(in))
	}
	if !ci.ReadASN1(&ct, asn1.OBJECT_IDENTIFIER) || !oidEqual(ct, oidSignedData) {
		return nil, malformed("RFC 6488 §2", "contentType: want id-signedData")
	}
	if !r.readElement(&ci, &wrap, tagCons0) || !ci.Empty() {
		return nil, malformed("RFC 6488 §2", "content: want [0] EXPLICIT SignedData and nothing after")
	}
	if !r.readElement(&wrap, &sd, asn1.SEQUENCE) || !wrap.Empty() {
		return nil, malformed("RFC 6488 §2.1", "SignedData: want SEQUENCE")
	}
	s := &SignedObject{Raw: der}
	if err := s.parseSignedData(&r, sd, contentType); err != nil {
		return nil, within("SignedData", err)
	}
	s.BER = r.ber
	return s, nil
}

// parseSignedData reads SignedData (RFC 6488 §2.1) in ASN.1 order.
func (s *SignedObject) parseSignedData(r *berReader, sd cryptobyte.String, contentType []byte) error {
	var ver, algs, alg, eci, certs, cert, infos, info cryptobyte.String
	if !sd.ReadASN1(&ver, asn1.INTEGER) || !bytes.Equal(ver, cmsVersion3) {
		return malformed("RFC 6488 §2.1.1", "version: want 3")
	}
	if !sd.ReadASN1(&algs, asn1.SET) || !algs.ReadASN1Element(&alg, asn1.SEQUENCE) || !algs.Empty() {
		return malformed("RFC 6488 §2.1.2", "digestAlgorithms: want exactly one")
	}
	if err := checkDigestAlg(alg); err != nil {
		return within("digestAlgorithms", err)
	}
	if !r.readElement(&sd, &eci, asn1.SEQUENCE) {
		return malformed("RFC 6488 §2.1.3", "encapContentInfo: want SEQUENCE")
	}
	if err := s.parseEncapContentInfo(r, eci, contentType); err != nil {
		return within("encapContentInfo", err)
	}
	// One certificate, the EE certificate, DER as everywhere it is signed.
	if !r.readElement(&sd, &certs, tagCons0) {
		return malformed("RFC 6488 §2.1.4", "certificates: absent")
	}
	if !certs.ReadASN1Element(&cert, asn1.SEQUENCE) || !certs.Empty() {
		return malformed("RFC 6488 §2.1.4", "certificates: want exactly one DER Certificate")
	}
	ee, err := ParseCert(cert)
	if err != nil {
		return within("certificates[0]", err)
	}
	if ee.Kind != KindEE {
		return malformed("RFC 6488 §2.1.4", "certificates[0]: %v certificate, want EE", ee.Kind)
	}
	s.EE = ee
	if sd.PeekASN1Tag(tagCRLs) {
		return malformed("RFC 6488 §2.1.5", "crls: must be absent")
	}
	if !r.readElement(&sd, &infos, asn1.SET) {
		return malformed("RFC 6488 §2.1", "signerInfos: want SET")
	}
	if !infos.ReadASN1(&info, asn1.SEQUENCE) || !infos.Empty() {
		return malformed("RFC 6488 §2.1.6", "signerInfos: want exactly one DER SignerInfo")
	}
	if !sd.Empty() {
		return malformed("RFC 5652 §5.1", "%d trailing bytes", len(sd))
	}
	if err := s.parseSignerInfo(info); err != nil {
		return within("signerInfos[0]", err)
	}
	return nil
}

// parseEncapContentInfo reads eContentType, which must be want, and the
// eContent OCTET STRING, which must be present (RFC 6488 §2.1.3).
func (s *SignedObject) parseEncapContentInfo(r *berReader, eci cryptobyte.String, want []byte) error {
	var typ, wrap cryptobyte.String
	if !eci.ReadASN1(&typ, asn1.OBJECT_IDENTIFIER) {
		return malformed("RFC 6488 §2.1.3.1", "eContentType: want OBJECT IDENTIFIER")
	}
	if !oidEqual(typ, want) {
		return malformed("RFC 6488 §2.1.3.1", "eContentType: %s, want %s", contentTypeName(typ), contentTypeName(want))
	}
	if !r.readElement(&eci, &wrap, tagCons0) {
		return malformed("RFC 6488 §2.1.3.2", "eContent: absent")
	}
	content, ok := r.readOctetString(&wrap)
	if !ok || !wrap.Empty() || !eci.Empty() {
		return malformed("RFC 6488 §2.1.3.2", "eContent: want one OCTET STRING, primitive or of primitive chunks")
	}
	s.ContentType, s.Content = typ, content
	return nil
}

// parseSignerInfo reads the SignerInfo (RFC 6488 §2.1.6), all of it DER.
func (s *SignedObject) parseSignerInfo(si cryptobyte.String) error {
	var ver, sid, alg, el, attrs, sigAlg, sig cryptobyte.String
	if !si.ReadASN1(&ver, asn1.INTEGER) || !bytes.Equal(ver, cmsVersion3) {
		return malformed("RFC 6488 §2.1.6.1", "version: want 3")
	}
	if !si.ReadASN1(&sid, tagSKISID) {
		return malformed("RFC 6488 §2.1.6.2", "sid: want subjectKeyIdentifier")
	}
	if !bytes.Equal(sid, s.EE.SKI) {
		return malformed("RFC 6488 §2.1.6.2", "sid: %X, want the EE certificate's SKI %X", []byte(sid), s.EE.SKI)
	}
	if !si.ReadASN1Element(&alg, asn1.SEQUENCE) {
		return malformed("RFC 6488 §2.1.6.3", "digestAlgorithm: want AlgorithmIdentifier")
	}
	if err := checkDigestAlg(alg); err != nil {
		return within("digestAlgorithm", err)
	}
	if !si.ReadASN1Element(&el, tagCons0) {
		return malformed("RFC 6488 §2.1.6.4", "signedAttrs: absent")
	}
	if body := el; !body.ReadASN1(&attrs, tagCons0) {
		return malformed("RFC 6488 §2.1.6.4", "signedAttrs: want [0] IMPLICIT SET OF Attribute")
	}
	// The signature covers the DER of the attributes with the SET OF tag
	// in place of [0] IMPLICIT (RFC 5652 §5.4). The input is not ours to
	// modify, so the retagged bytes are a copy.
	s.SignedAttrs = make([]byte, len(el))
	copy(s.SignedAttrs, el)
	s.SignedAttrs[0] = byte(asn1.SET)
	if err := s.parseSignedAttrs(attrs); err != nil {
		return within("signedAttrs", err)
	}
	if !si.ReadASN1Element(&sigAlg, asn1.SEQUENCE) {
		return malformed("RFC 6488 §2.1.6.5", "signatureAlgorithm: want AlgorithmIdentifier")
	}
	if err := checkSignerSigAlg(sigAlg); err != nil {
		return within("signatureAlgorithm", err)
	}
	if !si.ReadASN1(&sig, asn1.OCTET_STRING) {
		return malformed("RFC 6488 §2.1.6.6", "signature: want OCTET STRING")
	}
	s.Signature = sig
	if si.PeekASN1Tag(tagUnsignedAttr) {
		return malformed("RFC 6488 §2.1.6.7", "unsignedAttrs: must be absent")
	}
	if !si.Empty() {
		return malformed("RFC 5652 §5.3", "%d trailing bytes", len(si))
	}
	return nil
}

// checkDigestAlg accepts SHA-256 with absent or NULL parameters
// (RFC 6488 §2.1.2, RFC 7935 §2; RFC 5754 §2 says to accept both).
func checkDigestAlg(alg cryptobyte.String) error {
	var seq, oid cryptobyte.String
	if !alg.ReadASN1(&seq, asn1.SEQUENCE) || !seq.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
		return malformed("RFC 5652 §10.1.1", "want AlgorithmIdentifier")
	}
	if !oidEqual(oid, oidSHA256) {
		return malformed("RFC 7935 §2", "algorithm %s: want SHA-256", oidString(oid))
	}
	if !seq.Empty() && (!seq.SkipASN1(asn1.NULL) || !seq.Empty()) {
		return malformed("RFC 5754 §2", "parameters: want NULL or absent")
	}
	return nil
}

// checkSignerSigAlg accepts the two signature algorithms RFC 7935 §2
// allows in a SignerInfo, rsaEncryption and sha256WithRSAEncryption, with
// NULL or absent parameters (RFC 4055 §5). Both mean RSA PKCS#1 v1.5 over
// SHA-256: the digest comes from digestAlgorithm.
func checkSignerSigAlg(alg cryptobyte.String) error {
	var seq, oid cryptobyte.String
	if !alg.ReadASN1(&seq, asn1.SEQUENCE) || !seq.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
		return malformed("RFC 5652 §10.1.2", "want AlgorithmIdentifier")
	}
	if !oidEqual(oid, oidRSAEncryption) && !oidEqual(oid, oidSHA256WithRSAEncryption) {
		return malformed("RFC 7935 §2", "algorithm %s: want rsaEncryption or sha256WithRSAEncryption", oidString(oid))
	}
	if !seq.Empty() && (!seq.SkipASN1(asn1.NULL) || !seq.Empty()) {
		return malformed("RFC 4055 §5", "parameters: want NULL or absent")
	}
	return nil
}

// The signed attributes RFC 6488 §2.1.6.4 names, one bit each in the seen
// mask, so a second instance is caught by its bit.
const (
	attrContentType = 1 << iota
	attrMessageDigest
	attrSigningTime
)

// parseSignedAttrs reads the SET OF Attribute the signature covers. It
// must be DER even inside a BER wrapper (RFC 5652 §5.3), so its elements
// must be in ascending order (X.690 §11.6). RFC 6488 §2.1.6.4 allows
// content-type, message-digest and signing-time, each once with one
// value, and nothing else. RFC 9589 makes signing-time mandatory and
// forbids binary-signing-time.
func (s *SignedObject) parseSignedAttrs(attrs cryptobyte.String) error {
	const rule = "RFC 6488 §2.1.6.4"
	seen := 0
	var prev cryptobyte.String
	for i := 0; !attrs.Empty(); i++ {
		var el, attr, typ, values, value cryptobyte.String
		if !attrs.ReadASN1Element(&el, asn1.SEQUENCE) {
			return malformed(rule, "[%d]: want Attribute", i)
		}
		if bytes.Compare(prev, el) > 0 {
			return malformed("X.690 §11.6", "[%d]: SET OF not in DER order", i)
		}
		prev = el
		if body := el; !body.ReadASN1(&attr, asn1.SEQUENCE) || !attr.ReadASN1(&typ, asn1.OBJECT_IDENTIFIER) ||
			!attr.ReadASN1(&values, asn1.SET) || !attr.Empty() {
			return malformed("RFC 5652 §5.3", "[%d]: want attrType and attrValues", i)
		}
		var tag asn1.Tag
		if !values.ReadAnyASN1Element(&value, &tag) || !values.Empty() {
			return malformed(rule, "[%d] %s: want exactly one value", i, oidString(typ))
		}
		bit, err := s.parseSignedAttr(typ, value)
		if err != nil {
			return within(fmt.Sprintf("[%d]", i), err)
		}
		if seen&bit != 0 {
			return malformed(rule, "[%d]: second %s attribute", i, oidString(typ))
		}
		seen |= bit
	}
	switch {
	case seen&attrContentType == 0:
		return malformed("RFC 6488 §2.1.6.4.1", "content-type attribute absent")
	case seen&attrMessageDigest == 0:
		return malformed("RFC 6488 §2.1.6.4.2", "message-digest attribute absent")
	case seen&attrSigningTime == 0:
		return malformed("RFC 9589", "signing-time attribute absent")
	}
	return nil
}

// parseSignedAttr checks one attribute's value and returns its bit.
func (s *SignedObject) parseSignedAttr(typ, value cryptobyte.String) (int, error) {
	switch {
	case oidEqual(typ, oidAttrContentType):
		var oid cryptobyte.String
		if !value.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) || !value.Empty() {
			return 0, malformed("RFC 6488 §2.1.6.4.1", "content-type: want OBJECT IDENTIFIER")
		}
		if !oidEqual(oid, s.ContentType) {
			return 0, malformed("RFC 6488 §2.1.6.4.1", "content-type: %s, differs from eContentType %s",
				contentTypeName(oid), contentTypeName(s.ContentType))
		}
		return attrContentType, nil
	case oidEqual(typ, oidAttrMessageDigest):
		var d cryptobyte.String
		if !value.ReadASN1(&d, asn1.OCTET_STRING) || !value.Empty() || len(d) != sha256.Size {
			return 0, malformed("RFC 6488 §2.1.6.4.2", "message-digest: want OCTET STRING of %d octets", sha256.Size)
		}
		s.MessageDigest = d
		return attrMessageDigest, nil
	case oidEqual(typ, oidAttrSigningTime):
		t, ok := readPKIXTime(&value)
		if !ok || !value.Empty() {
			return 0, malformed("RFC 5652 §11.3", "signing-time: want UTCTime through 2049 or GeneralizedTime, with seconds and Z")
		}
		s.SigningTime = t
		return attrSigningTime, nil
	case oidEqual(typ, oidAttrBinarySigningTime):
		return 0, malformed("RFC 9589", "binary-signing-time attribute not allowed")
	}
	return 0, malformed("RFC 6488 §2.1.6.4", "attribute %s not allowed", oidString(typ))
}

// CheckSignature verifies the object's own signature (RFC 6488 §3, RFC 5652
// §5.4 and §5.6): the message-digest attribute must be the SHA-256 of eContent,
// and the signature over SignedAttrs must verify with the EE certificate's
// key (RSA PKCS#1 v1.5, SHA-256). Errors wrap ErrSignature.
func (s *SignedObject) CheckSignature() error {
	if err := s.CheckDigest(); err != nil {
		return err
	}
	if err := CheckSignature(s.EE.PublicKey(), s.SignedAttrs, s.Signature); err != nil {
		return fmt.Errorf("signerInfo: %w", err)
	}
	return nil
}

// CheckDigest checks the message-digest attribute against eContent, the
// half of CheckSignature that binds the content to the signed attributes.
// A caller verifying the signature over SignedAttrs itself (through a
// memo) must call it. Errors wrap ErrSignature.
func (s *SignedObject) CheckDigest() error {
	if sum := sha256.Sum256(s.Content); !bytes.Equal(sum[:], s.MessageDigest) {
		return fmt.Errorf("message-digest does not match eContent: %w", ErrSignature)
	}
	return nil
}

// contentTypeName names an eContentType for error messages.
func contentTypeName(oid []byte) string {
	name := ""
	switch {
	case oidEqual(oid, oidCTROA):
		name = "ROA "
	case oidEqual(oid, oidCTMFT):
		name = "manifest "
	case oidEqual(oid, oidCTASPA):
		name = "ASPA "
	case oidEqual(oid, oidCTGBR):
		name = "Ghostbusters "
	case oidEqual(oid, oidCTTAK):
		name = "TAK "
	}
	return name + "(" + oidString(oid) + ")"
}
