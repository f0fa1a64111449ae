package validate

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// One CA key certified by two parents with different resources (as during
// a transfer between registries), one publication point. The objects'
// AIA can name only one of the two certificates (RFC 6487 §4.8.7), so
// only that chain validates them. Each chain is walked, so the result is
// the same whatever parent the walk reaches first: before the walk keyed
// CAs by chain, a first visit through the other parent failed and the
// good chain was then skipped as "reached again", losing the VRPs.
func TestCACertifiedByTwoParents(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	p1 := ta.CA(caSpec("10.1.0.0/16"))
	p2 := ta.CA(caSpec("10.2.0.0/16"))
	c1 := p1.CA(objecttest.CertSpec{})
	c2 := p2.CA(objecttest.CertSpec{Key: c1.Key, Repo: c1.Repo, Manifest: c1.ManifestURI})
	if string(c1.SKI) != string(c2.SKI) || c1.ManifestURI != c2.ManifestURI || c1.CRLURI != c2.CRLURI {
		t.Fatal("fixture: the two certificates must share key, manifest and CRL")
	}
	a := roa(c1, 64496, "10.1.1.0/24", 0)
	b := roa(c1, 64497, "10.2.1.0/24", 0)
	f.pub(c1, a, b)
	f.pub(p1, c1.Object)
	f.pub(p2, c2.Object)
	f.pub(ta, p1.Object, p2.Object)
	want := []VRP{tv(64496, "10.1.1.0/24", 24)}
	var first *Result
	for i := range 10 {
		res := f.run(Config{Workers: []int{1, 8}[i%2]})
		if diff := cmp.Diff(want, res.VRPs, cmpOpts...); diff != "" {
			t.Fatalf("run %d: VRPs (-want +got):\n%s\nwarnings:\n%s", i, diff, joinLines(res.Warnings))
		}
		if first == nil {
			first = res
			continue
		}
		if diff := cmp.Diff(first.Warnings, res.Warnings); diff != "" {
			t.Fatalf("run %d: warnings differ from the first run:\n%s", i, diff)
		}
		if diff := cmp.Diff(first.Stats, res.Stats); diff != "" {
			t.Fatalf("run %d: stats differ from the first run:\n%s", i, diff)
		}
	}
}

// Several CAs publishing into one directory (each with its own manifest)
// are validated one after the other, never concurrently, so their
// promotions into the validated store cannot race; every ROA of each is
// valid.
func TestCAsSharingADirectory(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	const shared = objecttest.RsyncBase + "shared/"
	var cas []objecttest.Object
	var want []VRP
	for i := range 6 {
		prefix := []string{"10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16"}[i]
		ca := ta.CA(objecttest.CertSpec{IP: []string{prefix}, AS: []string{"AS64496-AS64511"}, Repo: shared})
		f.pub(ca, roa(ca, 64496+int64(i), prefix, 0))
		cas = append(cas, ca.Object)
		want = append(want, tv(uint32(64496+i), prefix, 16))
	}
	f.pub(ta, cas...)
	for i := range 6 {
		res := f.run(Config{Workers: 8})
		if diff := cmp.Diff(want, res.VRPs, cmpOpts...); diff != "" {
			t.Fatalf("run %d: VRPs (-want +got):\n%s\nwarnings:\n%s", i, diff, joinLines(res.Warnings))
		}
	}
}
