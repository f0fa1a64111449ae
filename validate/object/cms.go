package object

import "time"

// SignedObject is an RPKI signed object (RFC 6488): a CMS SignedData with one
// EE certificate and one SignerInfo. Byte slices alias the input.
type SignedObject struct {
	Raw            []byte
	ContentType    []byte // eContentType OID contents
	Content        []byte // eContent, the DER of the payload
	EE             *Cert
	SignedAttrs    []byte // signedAttrs re-tagged as SET OF (the bytes the signature covers)
	Signature      []byte
	MessageDigest  []byte
	SigningTime    time.Time // zero when the attribute is absent
	// BER is true when the CMS wrapper used BER forms tally admits for
	// compatibility (see ParseSignedObject); the payload is always DER.
	BER bool
}

// TODO(#3): ParseSignedObject(der []byte, contentType []byte) (*SignedObject, error)
// and (*SignedObject).CheckSignature().
