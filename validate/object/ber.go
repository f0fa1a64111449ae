package object

import (
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The CMS wrapper of RPKI signed objects should be DER (RFC 6488 §2), but
// every RIPE NCC signed object of 2019 and the ARIN and LACNIC TA manifests
// of that time were written by a library that emits BER: the ContentInfo,
// SignedData, EncapsulatedContentInfo, the [0] EXPLICIT wrappers and the
// certificates set use indefinite lengths, and the eContent OCTET STRING is
// constructed from primitive chunks. (The SignerInfos SET is definite in
// the corpus, but the same encoders may write it indefinite, so it is
// admitted too.) Other relying parties accept them, so
// refusing them would drop real, correctly signed data.
//
// tally admits exactly these two BER forms, and only in the wrapper
// positions ParseSignedObject names. Everything a signature or a content
// parser depends on stays strict DER: the EE certificate, the SignerInfo and
// its signed attributes, and the eContent payload. Nothing is rewritten into
// DER; the reader below finds the end of an indefinite-length element by
// walking its children, which it bounds in depth, and only the chunked
// eContent is copied, into one buffer no larger than the input.

// maxBERDepth bounds the nesting of indefinite-length elements the reader
// walks through. Real wrappers nest six deep (ContentInfo down to the
// constructed eContent OCTET STRING); the bound stops stack exhaustion on
// hostile input.
const maxBERDepth = 8

// berReader reads the elements of a CMS wrapper. It accepts a definite
// length exactly as cryptobyte does (DER: minimal length octets) and, for a
// constructed element, an indefinite length. ber records whether any BER
// form was seen.
type berReader struct {
	ber bool
}

// readElement reads one element with the given tag from s and sets out to
// its contents (without the end-of-contents octets).
func (r *berReader) readElement(s *cryptobyte.String, out *cryptobyte.String, tag asn1.Tag) bool {
	b := *s
	if len(b) < 2 || b[0] != byte(tag) || b[1] != 0x80 {
		return s.ReadASN1(out, tag)
	}
	if tag&0x20 == 0 {
		return false // X.690 §8.1.3.2: only constructed elements may be indefinite
	}
	n, ok := indefiniteLength(b[2:], 0)
	if !ok {
		return false
	}
	*out = b[2 : 2+n]
	*s = b[2+n+2:]
	r.ber = true
	return true
}

// indefiniteLength returns the length of the contents of an
// indefinite-length element, b being everything after its header. The
// contents end at the first end-of-contents octets (00 00) at this level;
// children with a definite length are skipped whole, without looking
// inside, and children with an indefinite length are walked in turn.
func indefiniteLength(b []byte, depth int) (int, bool) {
	if depth >= maxBERDepth {
		return 0, false
	}
	off := 0
	for {
		if len(b)-off < 2 {
			return 0, false
		}
		switch {
		case b[off] == 0 && b[off+1] == 0:
			return off, true
		case b[off] == 0:
			return 0, false // end-of-contents with a non-zero length
		case b[off+1] == 0x80:
			if b[off]&0x20 == 0 || b[off]&0x1f == 0x1f {
				return 0, false
			}
			n, ok := indefiniteLength(b[off+2:], depth+1)
			if !ok {
				return 0, false
			}
			off += 2 + n + 2
		default:
			// Any tag may appear here (the certificate, the SignerInfos);
			// the strict reads that follow check each one. This only
			// measures the element, with DER length rules.
			rest := cryptobyte.String(b[off:])
			var el cryptobyte.String
			var tag asn1.Tag
			if !rest.ReadAnyASN1Element(&el, &tag) {
				return 0, false
			}
			off += len(el)
		}
	}
}

// readOctetString reads an OCTET STRING from s. A primitive one is returned
// as it is, aliasing s. A constructed one (BER, X.690 §8.7.3) must consist
// of primitive, definite-length chunks only; they are concatenated into a
// new buffer, which is never larger than s.
func (r *berReader) readOctetString(s *cryptobyte.String) ([]byte, bool) {
	if !s.PeekASN1Tag(asn1.OCTET_STRING.Constructed()) {
		var out cryptobyte.String
		if !s.ReadASN1(&out, asn1.OCTET_STRING) {
			return nil, false
		}
		return out, true
	}
	var chunks cryptobyte.String
	if !r.readElement(s, &chunks, asn1.OCTET_STRING.Constructed()) {
		return nil, false
	}
	r.ber = true
	total := 0
	for rest := chunks; !rest.Empty(); {
		var chunk cryptobyte.String
		if !rest.ReadASN1(&chunk, asn1.OCTET_STRING) {
			return nil, false
		}
		total += len(chunk)
	}
	out := make([]byte, 0, total) // total < len(chunks): bounded by the input
	for !chunks.Empty() {
		var chunk cryptobyte.String
		if !chunks.ReadASN1(&chunk, asn1.OCTET_STRING) {
			return nil, false
		}
		out = append(out, chunk...)
	}
	return out, true
}
