package object

import (
	"errors"
	"testing"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// TestBuilderRoundTrip: every object objecttest signs, Decode accepts; each
// broken variant, which differs from a good object in one field, is
// rejected with the rule that field breaks (or as a bad signature).
func TestBuilderRoundTrip(t *testing.T) {
	ta := objecttest.NewTA(objecttest.CertSpec{})
	ca := ta.CA(objecttest.CertSpec{IP: []string{"192.0.2.0/24", "2001:db8::/32"}, AS: []string{"AS64496-AS64511"}})
	p24 := []objecttest.ROAPrefix{{Prefix: "192.0.2.0/24", MaxLength: 24}}
	roa := func(s objecttest.ROASpec) []byte {
		if s.ASID == 0 {
			s.ASID = 64496
		}
		if s.Prefixes == nil {
			s.Prefixes = p24
		}
		return ca.ROA(s).DER
	}
	aspa := func(providers ...int64) []byte {
		return ca.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: providers}).DER
	}
	crl := ca.CRL(objecttest.CRLSpec{Number: 1, Revoked: []int64{7}})

	good := map[string][]byte{
		"ta":                ta.DER,
		"ca":                ca.DER,
		"router":            ca.Router(objecttest.RouterSpec{AS: []string{"AS64496"}}).DER,
		"crl":               crl.DER,
		"manifest":          ca.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{crl}}).DER,
		"roa":               roa(objecttest.ROASpec{}),
		"roa ipv6":          roa(objecttest.ROASpec{Prefixes: []objecttest.ROAPrefix{{Prefix: "2001:db8::/32", MaxLength: 48}}}),
		"aspa":              aspa(64497, 64500),
		"gbr":               ca.GBR(objecttest.GBRSpec{}).DER,
		"tak":               ta.TAK(objecttest.TAKSpec{}).DER,
		"tal":               ta.TAL(),
		"roa sha256WithRSA": roa(objecttest.ROASpec{CMS: objecttest.CMSSpec{SHA256WithRSA: true}}),
	}
	for name, der := range good {
		if _, _, err := Decode(name, der); err != nil {
			t.Errorf("%s: built by objecttest, rejected: %v", name, err)
		}
	}

	bad := []struct {
		name string
		der  []byte
		rule string // "" means a signature failure (ErrSignature)
	}{
		{"CA without SKI", ta.CA(objecttest.CertSpec{Omit: objecttest.ExtSKI}).DER, "RFC 6487 §4.8.2"},
		{"CA without policies", ta.CA(objecttest.CertSpec{Omit: objecttest.ExtPolicies}).DER, "RFC 6487 §4.8.9"},
		{"CA without CRLDP", ta.CA(objecttest.CertSpec{Omit: objecttest.ExtCRLDP}).DER, "RFC 6487 §4.8.6"},
		{"CA without AIA", ta.CA(objecttest.CertSpec{Omit: objecttest.ExtAIA}).DER, "RFC 6487 §4.8.7"},
		{"CA with trailing byte", objecttest.Append(ca.DER, 0), "RFC 5280 §4.1"},
		{"TA with a bad self-signature", objecttest.NewTA(objecttest.CertSpec{WrongSignature: true}).DER, ""},
		{"ROA maxLength below prefix length", roa(objecttest.ROASpec{Prefixes: []objecttest.ROAPrefix{{Prefix: "192.0.2.0/24", MaxLength: 20}}}), "RFC 9582 §4.3.2"},
		{"ROA maxLength over 32", roa(objecttest.ROASpec{Prefixes: []objecttest.ROAPrefix{{Prefix: "192.0.2.0/24", MaxLength: 33}}}), "RFC 9582 §4.3.2"},
		{"ROA explicit version 0", roa(objecttest.ROASpec{ExplicitVersion: true}), "X.690 §11.5"},
		{"ROA with AS resources in the EE", roa(objecttest.ROASpec{EE: objecttest.CertSpec{IP: []string{"192.0.2.0/24"}, AS: []string{"AS64496"}}}), "RFC 9582 §5"},
		{"ROA prefix outside EE", roa(objecttest.ROASpec{EE: objecttest.CertSpec{IP: []string{"192.0.2.0/25"}}}), "RFC 9582 §5"},
		{"ROA wrong message digest", roa(objecttest.ROASpec{CMS: objecttest.CMSSpec{WrongDigest: true}}), ""},
		{"ROA wrong signature", roa(objecttest.ROASpec{CMS: objecttest.CMSSpec{WrongSignature: true}}), ""},
		{"ROA without signing-time", roa(objecttest.ROASpec{CMS: objecttest.CMSSpec{NoSigningTime: true}}), "RFC 9589"},
		{"ROA with a CRL in the CMS", roa(objecttest.ROASpec{CMS: objecttest.CMSSpec{CRLs: [][]byte{crl.DER}}}), "RFC 6488 §2.1.5"},
		{"ROA with two certificates", roa(objecttest.ROASpec{CMS: objecttest.CMSSpec{ExtraCertificates: [][]byte{ca.DER}}}), "RFC 6488 §2.1.4"},
		{"ROA content-type attribute mismatch", roa(objecttest.ROASpec{CMS: objecttest.CMSSpec{WrongContentTypeAttr: true}}), "RFC 6488 §2.1.6.4.1"},
		{"ROA trailing data in eContent", roa(objecttest.ROASpec{CMS: objecttest.CMSSpec{ContentSuffix: []byte{0}}}), "RFC 9582 §4"},
		{"ASPA unsorted providers", aspa(64500, 64497), "draft-ietf-sidrops-aspa-profile §3.3"},
		{"ASPA duplicate providers", aspa(64497, 64497), "draft-ietf-sidrops-aspa-profile §3.3"},
		{"ASPA customer among providers", aspa(64496, 64497), "draft-ietf-sidrops-aspa-profile §3.3"},
		{"router certificate with IP resources", ca.Router(objecttest.RouterSpec{AS: []string{"AS64496"}, Cert: objecttest.CertSpec{IP: []string{"192.0.2.0/24"}, AS: []string{"AS64496"}}}).DER, "RFC 8209 §3.1.3.4"},
		{"ASPA pre-profile-15 (no version)", ca.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{64497}, OmitVersion: true}).DER, "draft-ietf-sidrops-aspa-profile §3.1"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(tt.name, tt.der)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.rule == "" {
				if !errors.Is(err, ErrSignature) {
					t.Fatalf("error %v, want a signature failure", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Rule != tt.rule {
				t.Fatalf("error %v, want rule %s", err, tt.rule)
			}
		})
	}
}

// BenchmarkCheckSignature measures one RSA-2048 PKCS#1 v1.5 SHA-256
// verification of a certificate, the unit of the benchmark script's floor
// (testdata/bench/compare.sh).
func BenchmarkCheckSignature(b *testing.B) {
	ta := objecttest.NewTA(objecttest.CertSpec{})
	ca := ta.CA(objecttest.CertSpec{})
	issuer, err := ParseCert(ta.DER)
	if err != nil {
		b.Fatal(err)
	}
	c, err := ParseCert(ca.DER)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.CheckSignatureFrom(issuer); err != nil {
			b.Fatal(err)
		}
	}
}
