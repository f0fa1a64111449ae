package object

import "fmt"

// Decode parses data as the type Detect finds and makes every check that
// needs no issuer and no clock: the profile of the type, the CMS signature
// of a signed object against its EE certificate, the signature of a
// self-signed certificate. It returns the type and the parsed value: *TAL,
// *Cert, *CRL, *Manifest, *ROA, *ASPA, *GBR or *TAK. The value is non-nil
// only when err is nil. A failed signature matches ErrSignature, anything
// else ErrMalformed.
func Decode(name string, data []byte) (Type, any, error) {
	t := Detect(name, data)
	var (
		v   any
		err error
		so  *SignedObject
	)
	switch t {
	case TypeTAL:
		v, err = ParseTAL(data)
	case TypeCert:
		v, err = decodeCert(data)
	case TypeCRL:
		v, err = ParseCRL(data)
	case TypeMFT:
		var m *Manifest
		if m, err = ParseManifest(data); err == nil {
			v, so = m, m.Signed
		}
	case TypeROA:
		var r *ROA
		if r, err = ParseROA(data); err == nil {
			v, so = r, r.Signed
		}
	case TypeASPA:
		var a *ASPA
		if a, err = ParseASPA(data); err == nil {
			v, so = a, a.Signed
		}
	case TypeGBR:
		var g *GBR
		if g, err = ParseGBR(data); err == nil {
			v, so = g, g.Signed
		}
	case TypeTAK:
		var k *TAK
		if k, err = ParseTAK(data); err == nil {
			v, so = k, k.Signed
		}
	default:
		return t, nil, malformed("RFC 6481 §2", "unknown object type: not a TAL, certificate, CRL or known signed object")
	}
	if err == nil && so != nil {
		err = so.CheckSignature()
	}
	if err != nil {
		return t, nil, err
	}
	return t, v, nil
}

// decodeCert parses a certificate published as a .cer file: a CA or BGPsec
// router certificate. A self-signed one (a TA candidate) must verify with
// its own key.
func decodeCert(data []byte) (*Cert, error) {
	c, err := ParseCert(data)
	if err != nil {
		return nil, err
	}
	if c.Kind == KindEE {
		// RFC 6487 §4.8.1, RFC 6488 §2.1.4: an EE certificate lives inside the
		// signed object it signs; only CA (and RFC 8209 router) certificates
		// are published as .cer files.
		return nil, malformed("RFC 6487 §4.8.1", "EE certificate (no cA basic constraint, no BGPsec router purpose) published as a .cer file")
	}
	if c.SelfSigned {
		if err := c.CheckSignatureFrom(c); err != nil {
			return nil, fmt.Errorf("self-signed certificate: %w", err)
		}
	}
	return c, nil
}
