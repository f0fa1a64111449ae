package object

import (
	"errors"
	"math"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tally-rpki/tally/validate/object/objecttest"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

func parseCheckROA(der []byte) error {
	r, err := ParseROA(der)
	if err != nil {
		return err
	}
	return r.Signed.CheckSignature()
}

func TestROACorpus(t *testing.T) {
	checkLabelled(t, "roa", parseCheckROA)
}

func TestParseROA(t *testing.T) {
	pki := objecttest.NewPKI(t)
	roa := pki.ROA(objecttest.ROASpec{ASID: 64496, Prefixes: []objecttest.ROAPrefix{
		{Prefix: "10.0.0.0/16", MaxLength: 24},
		{Prefix: "2001:db8::/32"},
	}})
	got, err := ParseROA(roa.DER)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Signed.CheckSignature(); err != nil {
		t.Fatal(err)
	}
	want := []ROAPrefix{
		{Prefix: netip.MustParsePrefix("10.0.0.0/16"), MaxLength: 24},
		{Prefix: netip.MustParsePrefix("2001:db8::/32"), MaxLength: 32},
	}
	if got.ASID != 64496 {
		t.Errorf("ASID %d", got.ASID)
	}
	if diff := cmp.Diff(want, got.Prefixes, cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("Prefixes (-want +got):\n%s", diff)
	}
}

func TestParseROAEE(t *testing.T) {
	pki := objecttest.NewPKI(t)
	prefixes := []objecttest.ROAPrefix{{Prefix: "10.0.0.0/24"}}
	tests := []struct {
		name string
		ee   objecttest.CertSpec
		rule string // "" for success
	}{
		{"inherit IPv4", objecttest.CertSpec{IP: []string{"ipv4:inherit"}}, ""},
		{"covering block", objecttest.CertSpec{IP: []string{"10.0.0.0/16"}}, ""},
		{"AS resources", objecttest.CertSpec{IP: []string{"10.0.0.0/24"}, AS: []string{"AS64496"}}, "RFC 9582 §5"},
		{"prefix outside", objecttest.CertSpec{IP: []string{"10.1.0.0/16"}}, "RFC 9582 §5"},
		{"family missing", objecttest.CertSpec{IP: []string{"2001:db8::/32"}}, "RFC 9582 §5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roa := pki.ROA(objecttest.ROASpec{ASID: 64496, Prefixes: prefixes, EE: tt.ee})
			_, err := ParseROA(roa.DER)
			if tt.rule == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			assertRule(t, err, tt.rule)
		})
	}
}

// roaBuilder is a ROA eContent under construction, for content tests.
type roaBuilder struct {
	version  func(*cryptobyte.Builder)
	asID     func(*cryptobyte.Builder)
	families func(*cryptobyte.Builder)
	trailing func(*cryptobyte.Builder)
}

func goodROA() roaBuilder {
	return roaBuilder{
		version: func(*cryptobyte.Builder) {},
		asID:    func(b *cryptobyte.Builder) { b.AddASN1Int64(64496) },
		families: func(b *cryptobyte.Builder) {
			addROAFamily(b, []byte{0, 1}, func(b *cryptobyte.Builder) {
				addROAAddr(b, []byte{0, 10, 0}, noMax)        // 10.0.0.0/16
				addROAAddr(b, []byte{4, 192, 0, 2, 0x10}, 32) // 192.0.2.16/28-32
			})
			addROAFamily(b, []byte{0, 2}, func(b *cryptobyte.Builder) {
				addROAAddr(b, []byte{0}, 0) // ::/0, maxLength 0
			})
		},
		trailing: func(*cryptobyte.Builder) {},
	}
}

func (r roaBuilder) encode() []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		r.version(b)
		r.asID(b)
		b.AddASN1(asn1.SEQUENCE, r.families)
		r.trailing(b)
	})
	return b.BytesOrPanic()
}

func addROAFamily(b *cryptobyte.Builder, afi []byte, addrs func(*cryptobyte.Builder)) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1OctetString(afi)
		b.AddASN1(asn1.SEQUENCE, addrs)
	})
}

// noMax leaves maxLength out in addROAAddr.
const noMax = math.MinInt64

// addROAAddr adds a ROAIPAddress whose BIT STRING contents are bits (the
// unused-bits octet first), with maxLength unless it is noMax.
func addROAAddr(b *cryptobyte.Builder, bits []byte, maxLength int64) {
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) { b.AddBytes(bits) })
		if maxLength != noMax {
			b.AddASN1Int64(maxLength)
		}
	})
}

func oneFamily(afi []byte, bits []byte, maxLength int64) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		addROAFamily(b, afi, func(b *cryptobyte.Builder) { addROAAddr(b, bits, maxLength) })
	}
}

func TestParseROAContent(t *testing.T) {
	got, err := parseROAContent(goodROA().encode())
	if err != nil {
		t.Fatal(err)
	}
	want := &ROA{ASID: 64496, Prefixes: []ROAPrefix{
		{Prefix: netip.MustParsePrefix("10.0.0.0/16"), MaxLength: 16},
		{Prefix: netip.MustParsePrefix("192.0.2.16/28"), MaxLength: 32},
		{Prefix: netip.MustParsePrefix("::/0"), MaxLength: 0},
	}}
	if diff := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Not canonical but allowed (RFC 9582 §4.3.3 is a SHOULD for issuers):
	// IPv6 before IPv4, and a prefix listed twice.
	r := goodROA()
	r.families = func(b *cryptobyte.Builder) {
		oneFamily([]byte{0, 2}, []byte{0, 0x20, 0x01}, noMax)(b)
		addROAFamily(b, []byte{0, 1}, func(b *cryptobyte.Builder) {
			addROAAddr(b, []byte{0, 10}, noMax)
			addROAAddr(b, []byte{0, 10}, noMax)
		})
	}
	if _, err := parseROAContent(r.encode()); err != nil {
		t.Errorf("non-canonical ROA: %v", err)
	}

	v4 := []byte{0, 1}
	tests := []struct {
		name string
		edit func(*roaBuilder)
		rule string
	}{
		{"explicit version 0", func(r *roaBuilder) { r.version = addExplicitVersion(0) }, "X.690 §11.5"},
		{"version 1", func(r *roaBuilder) { r.version = addExplicitVersion(1) }, "RFC 9582 §4.1"},
		{"negative asID", func(r *roaBuilder) { r.asID = func(b *cryptobyte.Builder) { b.AddASN1Int64(-1) } }, "RFC 9582 §4.2"},
		{"asID 2^32", func(r *roaBuilder) { r.asID = func(b *cryptobyte.Builder) { b.AddASN1Int64(1 << 32) } }, "RFC 9582 §4.2"},
		{"no families", func(r *roaBuilder) { r.families = func(*cryptobyte.Builder) {} }, "RFC 9582 §4.3"},
		{"three families", func(r *roaBuilder) {
			r.families = func(b *cryptobyte.Builder) {
				oneFamily(v4, []byte{0, 10}, noMax)(b)
				oneFamily([]byte{0, 2}, []byte{0, 0x20}, noMax)(b)
				oneFamily([]byte{0, 2}, []byte{0, 0x30}, noMax)(b)
			}
		}, "RFC 9582 §4.3"},
		{"family twice", func(r *roaBuilder) {
			r.families = func(b *cryptobyte.Builder) {
				oneFamily(v4, []byte{0, 10}, noMax)(b)
				oneFamily(v4, []byte{0, 11}, noMax)(b)
			}
		}, "RFC 9582 §4.3.1"},
		{"AFI with SAFI", func(r *roaBuilder) { r.families = oneFamily([]byte{0, 1, 1}, []byte{0, 10}, noMax) }, "RFC 9582 §4.3.1"},
		{"AFI 3", func(r *roaBuilder) { r.families = oneFamily([]byte{0, 3}, []byte{0, 10}, noMax) }, "RFC 9582 §4.3.1"},
		{"no addresses", func(r *roaBuilder) {
			r.families = func(b *cryptobyte.Builder) { addROAFamily(b, v4, func(*cryptobyte.Builder) {}) }
		}, "RFC 9582 §4.3.1"},
		{"IPv4 prefix of 40 bits", func(r *roaBuilder) { r.families = oneFamily(v4, []byte{0, 1, 2, 3, 4, 5}, noMax) }, "RFC 3779 §2.2.3.8"},
		{"IPv6 prefix of 136 bits", func(r *roaBuilder) {
			r.families = oneFamily([]byte{0, 2}, append([]byte{0}, make([]byte, 17)...), noMax)
		}, "RFC 3779 §2.2.3.8"},
		{"nonzero padding", func(r *roaBuilder) { r.families = oneFamily(v4, []byte{4, 10, 0x11}, noMax) }, "X.690 §11.2.1"},
		{"unused bits 8", func(r *roaBuilder) { r.families = oneFamily(v4, []byte{8, 10, 0}, noMax) }, "RFC 3779 §2.2.3.8"},
		{"maxLength below prefix", func(r *roaBuilder) { r.families = oneFamily(v4, []byte{0, 10, 0, 0}, 20) }, "RFC 9582 §4.3.2"},
		{"maxLength above 32", func(r *roaBuilder) { r.families = oneFamily(v4, []byte{0, 10}, 33) }, "RFC 9582 §4.3.2"},
		{"maxLength above 128", func(r *roaBuilder) { r.families = oneFamily([]byte{0, 2}, []byte{0, 0x20}, 129) }, "RFC 9582 §4.3.2"},
		{"negative maxLength", func(r *roaBuilder) { r.families = oneFamily(v4, []byte{0}, -2) }, "RFC 9582 §4.3.2"},
		{"maxLength not INTEGER", func(r *roaBuilder) {
			r.families = func(b *cryptobyte.Builder) {
				addROAFamily(b, v4, func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1BitString([]byte{10})
						b.AddASN1NULL()
					})
				})
			}
		}, "RFC 9582 §4.3.2"},
		{"trailing field", func(r *roaBuilder) { r.trailing = func(b *cryptobyte.Builder) { b.AddASN1NULL() } }, "RFC 9582 §4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodROA()
			tt.edit(&r)
			_, err := parseROAContent(r.encode())
			assertRule(t, err, tt.rule)
		})
	}
}

func FuzzParseROA(f *testing.F) {
	for _, der := range objecttest.Corpus(f, ".roa")[:200] {
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		roa, err := ParseROA(der)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && roa == nil {
			t.Fatal("nil ROA without an error")
		}
	})
}

func FuzzParseROAContent(f *testing.F) {
	f.Add(goodROA().encode())
	for _, der := range objecttest.Corpus(f, ".roa")[:200] {
		if so, err := ParseSignedObject(der, oidCTROA); err == nil {
			f.Add(so.Content)
		}
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		roa, err := parseROAContent(content)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("bad input gave an untyped error: %v", err)
			}
			return
		}
		for _, p := range roa.Prefixes {
			if !p.Prefix.IsValid() || p.Prefix.Masked() != p.Prefix ||
				p.MaxLength < p.Prefix.Bits() || p.MaxLength > p.Prefix.Addr().BitLen() {
				t.Fatalf("accepted bad prefix %v maxLength %d", p.Prefix, p.MaxLength)
			}
		}
	})
}

func BenchmarkParseROA(b *testing.B) {
	benchParse(b, twnic(b, ".roa"), func(der []byte) error { _, err := ParseROA(der); return err })
}
