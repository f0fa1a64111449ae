package objecttest

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Ext is a set of certificate or CRL extensions, for CertSpec.Omit,
// CertSpec.FlipCritical and CRLSpec.Omit.
type Ext uint32

// The extensions the builders write, in RFC 6487 §4.8 order.
const (
	ExtBasicConstraints Ext = 1 << iota // 2.5.29.19, CA only, critical
	ExtSKI                              // 2.5.29.14
	ExtAKI                              // 2.5.29.35, absent from a TA by default
	ExtKeyUsage                         // 2.5.29.15, critical
	ExtExtKeyUsage                      // 2.5.29.37, router certificates only
	ExtCRLDP                            // 2.5.29.31, absent from a TA by default
	ExtAIA                              // 1.3.6.1.5.5.7.1.1, absent from a TA by default
	ExtSIA                              // 1.3.6.1.5.5.7.1.11, absent from router certificates
	ExtPolicies                         // 2.5.29.32, critical
	ExtIPAddrBlocks                     // 1.3.6.1.5.5.7.1.7, critical
	ExtASIdentifiers                    // 1.3.6.1.5.5.7.1.8, critical
	ExtCRLNumber                        // 2.5.29.20, CRLs only
)

// ext is one extension of a certificate being built.
type ext struct {
	which    Ext
	critical bool
	value    []byte
}

// finishExtensions drops the omitted extensions, flips criticality, and
// applies extra: an extra extension with the OID of a built one replaces it
// in place, any other is appended.
func finishExtensions(exts []ext, omit, flip Ext, extra []pkix.Extension) []pkix.Extension {
	out := make([]pkix.Extension, 0, len(exts)+len(extra))
	for _, e := range exts {
		if omit&e.which != 0 {
			continue
		}
		out = append(out, pkix.Extension{
			Id:       e.which.oid(),
			Critical: e.critical != (flip&e.which != 0),
			Value:    e.value,
		})
	}
	for _, x := range extra {
		i := slices.IndexFunc(out, func(e pkix.Extension) bool { return e.Id.Equal(x.Id) })
		if i >= 0 {
			out[i] = x
		} else {
			out = append(out, x)
		}
	}
	return out
}

func (e Ext) oid() asn1.ObjectIdentifier {
	switch e {
	case ExtBasicConstraints:
		return oidExtBasicConstraints()
	case ExtSKI:
		return oidExtSKI()
	case ExtAKI:
		return oidExtAKI()
	case ExtKeyUsage:
		return oidExtKeyUsage()
	case ExtExtKeyUsage:
		return oidExtExtKeyUsage()
	case ExtCRLDP:
		return oidExtCRLDP()
	case ExtAIA:
		return oidExtAIA()
	case ExtSIA:
		return oidExtSIA()
	case ExtPolicies:
		return oidExtCertPolicies()
	case ExtIPAddrBlocks:
		return oidExtIPAddrBlocks()
	case ExtASIdentifiers:
		return oidExtASIdentifiers()
	case ExtCRLNumber:
		return oidExtCRLNumber()
	}
	panic("objecttest: Ext.oid of a set")
}

func der(f func(b *cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	f(&b)
	return b.BytesOrPanic()
}

// basicConstraintsCA is BasicConstraints with cA TRUE and no pathLen.
func basicConstraintsCA() []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Boolean(true)
		})
	})
}

func octetString(v []byte) []byte {
	return der(func(b *cryptobyte.Builder) { b.AddASN1OctetString(v) })
}

// authorityKeyID is AuthorityKeyIdentifier with keyIdentifier only.
func authorityKeyID(ski []byte) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddBytes(ski)
			})
		})
	})
}

// keyUsage encodes the KeyUsage bits (bit i is 1<<i, as in crypto/x509) as
// a BIT STRING without trailing zero bits (X.690 §11.2.2).
func keyUsage(ku int) []byte {
	var bits [2]byte
	n := 0 // bits used
	for i := range 9 {
		if ku&(1<<i) != 0 {
			bits[i/8] |= 0x80 >> (i % 8)
			n = i + 1
		}
	}
	nbytes := (n + 7) / 8
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
			b.AddUint8(uint8(nbytes*8 - n))
			b.AddBytes(bits[:nbytes])
		})
	})
}

func extKeyUsage(oid asn1.ObjectIdentifier) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
		})
	})
}

// uriTag is GeneralName uniformResourceIdentifier: [6] IMPLICIT IA5String.
const uriTag cbasn1.Tag = 0x86

// crlDistributionPoints names one URI as the fullName of one DistributionPoint.
func crlDistributionPoints(uri string) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
						b.AddASN1(uriTag, func(b *cryptobyte.Builder) { b.AddBytes([]byte(uri)) })
					})
				})
			})
		})
	})
}

// access is one AccessDescription of an AIA or SIA extension.
type access struct {
	method asn1.ObjectIdentifier
	uri    string
}

// accessDescriptions encodes AIA or SIA, skipping entries with an empty URI.
func accessDescriptions(list ...access) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, a := range list {
				if a.uri == "" {
					continue
				}
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(a.method)
					b.AddASN1(uriTag, func(b *cryptobyte.Builder) { b.AddBytes([]byte(a.uri)) })
				})
			}
		})
	})
}

// certificatePolicies names one policy without qualifiers.
func certificatePolicies(oid asn1.ObjectIdentifier) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oid)
			})
		})
	})
}

// commonName encodes a Name with one CN attribute, as a PrintableString
// when the value allows it (RFC 6487 §4.5) and a UTF8String otherwise.
func commonName(cn string) []byte {
	tag := cbasn1.PrintableString
	if !isPrintable(cn) {
		tag = cbasn1.UTF8String
	}
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(oidCommonName())
					b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes([]byte(cn)) })
				})
			})
		})
	})
}

func isPrintable(s string) bool {
	for _, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == ' ' || c == '\'' || c == '(' || c == ')' || c == '+' || c == ',' ||
			c == '-' || c == '.' || c == '/' || c == ':' || c == '=' || c == '?'
		if !ok {
			return false
		}
	}
	return true
}
