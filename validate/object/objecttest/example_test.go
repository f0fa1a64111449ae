package objecttest_test

import (
	"fmt"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// A TA, a CA with resources, and a publication point with a ROA, an ASPA,
// a CRL revoking a certificate, and the manifest listing them.
func Example() {
	ta := objecttest.NewTA(objecttest.CertSpec{})
	ca := ta.CA(objecttest.CertSpec{
		IP: []string{"192.0.2.0/24", "2001:db8::/32"},
		AS: []string{"AS64496-AS64511"},
	})
	roa := ca.ROA(objecttest.ROASpec{
		ASID:     64496,
		Prefixes: []objecttest.ROAPrefix{{Prefix: "192.0.2.0/24"}, {Prefix: "2001:db8::/32", MaxLength: 48}},
	})
	aspa := ca.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{64497}})
	crl := ca.CRL(objecttest.CRLSpec{Number: 1, Revoked: []int64{42}})
	mft := ca.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{crl, roa, aspa}})

	// A broken variant differs from the good one in one field.
	bad := ca.ROA(objecttest.ROASpec{
		ASID:     64496,
		Prefixes: []objecttest.ROAPrefix{{Prefix: "192.0.2.0/24", MaxLength: 16}},
		CMS:      objecttest.CMSSpec{NoSigningTime: true},
	})

	fmt.Println(ca.URI)
	fmt.Println(mft.URI)
	fmt.Println(roa.Name == bad.Name, len(roa.EE) > 0)
	// Output:
	// rsync://rpki.example.net/repo/38C6A32827A8B4051BCFAE637EFCFFD5FC4EFB05/191D97A0F4DF637219152E0C1B5F32F719C0B82D.cer
	// rsync://rpki.example.net/repo/191D97A0F4DF637219152E0C1B5F32F719C0B82D/191D97A0F4DF637219152E0C1B5F32F719C0B82D.mft
	// false true
}
