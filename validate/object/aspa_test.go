package object

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tally-rpki/tally/validate/object/objecttest"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Old-draft ASPAs labelled valid. Their eContent has no version and lists
// providers as SEQUENCEs with an AFI limit: the encoding of drafts before
// -15, byte for byte the one of the BAD-profile-13 files labelled invalid.
const oldDraftASPA = "pre-draft-15 encoding (no version [0] 1, providers as ProviderAS SEQUENCEs); " +
	"draft-ietf-sidrops-aspa-profile §3 requires version 1 and PAS INTEGERs; the BAD-profile-13 files with the same encoding are labelled invalid"

func parseCheckASPA(der []byte) error {
	a, err := ParseASPA(der)
	if err != nil {
		return err
	}
	return a.Signed.CheckSignature()
}

func TestASPACorpus(t *testing.T) {
	checkLabelled(t, "asa", parseCheckASPA)
}

func TestParseASPA(t *testing.T) {
	pki := objecttest.NewPKI(t)
	obj := pki.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{0, 64497, 4294967295}})
	got, err := ParseASPA(obj.DER)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Signed.CheckSignature(); err != nil {
		t.Fatal(err)
	}
	if got.Customer != 64496 {
		t.Errorf("Customer %d", got.Customer)
	}
	if diff := cmp.Diff([]uint32{0, 64497, 4294967295}, got.Providers); diff != "" {
		t.Errorf("Providers (-want +got):\n%s", diff)
	}
}

func TestParseASPAEE(t *testing.T) {
	pki := objecttest.NewPKI(t)
	const rule = "draft-ietf-sidrops-aspa-profile §4"
	for name, ee := range map[string]objecttest.CertSpec{
		"IP resources":   {IP: []string{"10.0.0.0/8"}, AS: []string{"AS64496"}},
		"AS inherit":     {AS: []string{"inherit"}},
		"other AS":       {AS: []string{"AS64497"}},
		"AS range":       {AS: []string{"AS64496-AS64497"}},
		"two AS numbers": {AS: []string{"AS64496", "AS64498"}},
	} {
		t.Run(name, func(t *testing.T) {
			obj := pki.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{64500}, EE: ee})
			_, err := ParseASPA(obj.DER)
			assertRule(t, err, rule)
		})
	}
}

// aspaContent encodes an ASProviderAttestation from raw steps.
func aspaContent(version, customer, providers func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		version(b)
		customer(b)
		b.AddASN1(asn1.SEQUENCE, providers)
	})
	return b.BytesOrPanic()
}

func ints(v ...int64) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		for _, x := range v {
			b.AddASN1Int64(x)
		}
	}
}

func TestParseASPAContent(t *testing.T) {
	// The eContent of the APNIC demo AS1000.asa: version 1, AS1000, [AS1025].
	apnic := []byte{0x30, 0x0f, 0xa0, 0x03, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0xe8, 0x30, 0x04, 0x02, 0x02, 0x04, 0x01}
	got, err := parseASPAContent(apnic)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ASPA{Customer: 1000, Providers: []uint32{1025}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	v1 := addExplicitVersion(1)
	const r = "draft-ietf-sidrops-aspa-profile"
	implicitV1 := func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddUint8(1) })
	}
	oldProvider := func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Int64(65001); b.AddASN1OctetString([]byte{0, 1}) })
	}
	tests := []struct {
		name                         string
		version, customer, providers func(*cryptobyte.Builder)
		rule                         string
	}{
		{"version absent", func(*cryptobyte.Builder) {}, ints(65000), ints(65001), r + " §3.1"},
		{"version 0 explicit", addExplicitVersion(0), ints(65000), ints(65001), "X.690 §11.5"},
		{"version 2", addExplicitVersion(2), ints(65000), ints(65001), r + " §3.1"},
		{"IMPLICIT version", implicitV1, ints(65000), ints(65001), r + " §3.1"},
		{"customer AS0", v1, ints(0), ints(65001), r + " §3.2"},
		{"customer 2^32", v1, ints(1 << 32), ints(65001), r + " §3.2"},
		{"customer missing", v1, func(*cryptobyte.Builder) {}, ints(65001), r + " §3.2"},
		{"no providers", v1, ints(65000), ints(), r + " §3.3"},
		{"unsorted", v1, ints(65000), ints(65002, 65001), r + " §3.3"},
		{"duplicate", v1, ints(65000), ints(65001, 65001), r + " §3.3"},
		{"customer as provider", v1, ints(65000), ints(65000), r + " §3.3"},
		{"negative provider", v1, ints(65000), ints(-1), r + " §3.3"},
		{"provider 2^32", v1, ints(65000), ints(1 << 32), r + " §3.3"},
		{"old ProviderAS", v1, ints(65000), oldProvider, r + " §3.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseASPAContent(aspaContent(tt.version, tt.customer, tt.providers))
			assertRule(t, err, tt.rule)
		})
	}
	t.Run("trailing field", func(t *testing.T) {
		var b cryptobyte.Builder
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			v1(b)
			b.AddASN1Int64(65000)
			b.AddASN1(asn1.SEQUENCE, ints(65001))
			b.AddASN1NULL()
		})
		_, err := parseASPAContent(b.BytesOrPanic())
		assertRule(t, err, r+" §3")
	})
}

func FuzzParseASPA(f *testing.F) {
	for _, der := range objecttest.Corpus(f, ".asa") {
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		a, err := ParseASPA(der)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("bad input gave an untyped error: %v", err)
		}
		if err == nil && a == nil {
			t.Fatal("nil ASPA without an error")
		}
	})
}

func FuzzParseASPAContent(f *testing.F) {
	for _, der := range objecttest.Corpus(f, ".asa") {
		if so, err := ParseSignedObject(der, oidCTASPA); err == nil {
			f.Add(so.Content)
		}
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		a, err := parseASPAContent(content)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("bad input gave an untyped error: %v", err)
			}
			return
		}
		for i, p := range a.Providers {
			if p == a.Customer || i > 0 && p <= a.Providers[i-1] {
				t.Fatalf("accepted providers %v for customer %d", a.Providers, a.Customer)
			}
		}
	})
}
