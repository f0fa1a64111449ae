package validate

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// caSpec is the CertSpec of a CA holding ip and AS64496-AS64511.
func caSpec(ip ...string) objecttest.CertSpec {
	return objecttest.CertSpec{IP: ip, AS: []string{"AS64496-AS64511"}}
}

// inheritROA is a ROA for prefix whose EE certificate inherits its
// addresses, so the ROA parser cannot judge the prefix.
func inheritROA(iss *objecttest.Issuer, asn int64, prefix string) objecttest.Object {
	return iss.ROA(objecttest.ROASpec{
		ASID:     asn,
		Prefixes: []objecttest.ROAPrefix{{Prefix: prefix}},
		EE:       objecttest.CertSpec{IP: []string{"inherit"}},
	})
}

// A scenario builds a tree below the TA "ta" and says what Run must give:
// exactly vrps and aspas, a warning naming each of rules, and the counts
// check wants. A scenario with buildAt instead of build also gets back from
// it the warnings that must name a file and its rule, and the exact router
// keys, and maybe further steps to run on the same fixture.
type scenario struct {
	name    string
	cfg     Config
	build   func(f *fixture, ta *objecttest.Issuer)
	buildAt func(f *fixture, ta *objecttest.Issuer) expect
	vrps    []VRP
	aspas   []ASPA
	rules   []string
	check   func(t *testing.T, res *Result)
}

// expect is what a buildAt knows only once it has built the objects.
type expect struct {
	at    []ruleAt
	keys  []RouterKey
	again func(t *testing.T, f *fixture) // nil: one run only
}

// ruleAt is a warning that must start with "uri: rule".
type ruleAt struct{ uri, rule string }

// checkAt reports each of at that no warning of res gives.
func checkAt(t *testing.T, res *Result, at []ruleAt) {
	t.Helper()
	for _, a := range at {
		if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, a.uri+": "+a.rule) }) {
			t.Errorf("no warning %q; warnings:\n%s", a.uri+": "+a.rule, joinLines(res.Warnings))
		}
	}
}

// good publishes a CA holding 10.0.0.0/16 with one ROA below ta, so every
// scenario also shows that the rest of the tree is untouched.
func good(f *fixture, ta *objecttest.Issuer) *objecttest.Issuer {
	ca := ta.CA(caSpec("10.0.0.0/16"))
	f.pub(ca, roa(ca, 64496, "10.0.0.0/16", 0))
	return ca
}

var goodVRP = tv(64496, "10.0.0.0/16", 16)

func count(kind Kind, field func(c Counts) int, want int) func(*testing.T, *Result) {
	return func(t *testing.T, res *Result) {
		t.Helper()
		if got := field(res.Stats[kind]); got != want {
			t.Errorf("%s count = %d, want %d; stats %+v", kind, got, want, res.Stats[kind])
		}
	}
}

func invalidCount(c Counts) int   { return c.Invalid }
func fromCacheCount(c Counts) int { return c.FromCache }
func staleCount(c Counts) int     { return c.Stale }
func nonFuncCount(c Counts) int   { return c.NonFunctional }

var scenarios = []scenario{
	{
		name: "expired CA",
		build: func(f *fixture, ta *objecttest.Issuer) {
			g := good(f, ta)
			bad := ta.CA(objecttest.CertSpec{IP: []string{"10.1.0.0/16"}, NotAfter: now.Add(-time.Hour)})
			f.pub(bad, roa(bad, 64497, "10.1.0.0/16", 0))
			f.pub(ta, g.Object, bad.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 6487 §4.6.2"},
		check: count(KindCert, invalidCount, 1),
	},
	{
		name: "CA not yet valid",
		build: func(f *fixture, ta *objecttest.Issuer) {
			g := good(f, ta)
			bad := ta.CA(objecttest.CertSpec{IP: []string{"10.1.0.0/16"}, NotBefore: now.Add(time.Hour)})
			f.pub(bad, roa(bad, 64497, "10.1.0.0/16", 0))
			f.pub(ta, g.Object, bad.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 6487 §4.6.1"},
		check: count(KindCert, invalidCount, 1),
	},
	{
		name: "revoked EE",
		build: func(f *fixture, ta *objecttest.Issuer) {
			ca := ta.CA(caSpec("10.0.0.0/8"))
			ok := roa(ca, 64496, "10.0.0.0/16", 0)
			revoked := roa(ca, 64497, "10.1.0.0/16", 0)
			crl := ca.CRL(objecttest.CRLSpec{Number: 1, Revoked: []int64{revoked.Serial}})
			mft := ca.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{crl, ok, revoked}})
			f.put(mft, crl, ok, revoked)
			f.pub(ta, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 6487 §7.2: serial 02 revoked"},
		check: count(KindROA, invalidCount, 1),
	},
	{
		name: "manifest lists a missing file",
		build: func(f *fixture, ta *objecttest.Issuer) {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			objs := pubPoint(ca, objecttest.MftSpec{}, roa(ca, 64497, "10.1.0.0/16", 0), roa(ca, 64498, "10.1.1.0/24", 0))
			f.put(objs[:3]...) // leaves out the last ROA
			f.pub(ta, g.Object, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §6.4", "RFC 9286 §6.6"},
		check: count(KindCert, nonFuncCount, 1),
	},
	{
		name: "wrong hash on the manifest",
		build: func(f *fixture, ta *objecttest.Issuer) {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			r := roa(ca, 64497, "10.1.0.0/16", 0)
			crl := ca.CRL(objecttest.CRLSpec{Number: 1})
			mft := ca.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{crl},
				Entries: []objecttest.FileHash{{Name: r.Name, Hash: make([]byte, 32)}}})
			f.put(mft, crl, r)
			f.pub(ta, g.Object, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §6.5"},
		check: count(KindROA, invalidCount, 1),
	},
	{
		name: "two CRLs on the manifest",
		build: func(f *fixture, ta *objecttest.Issuer) {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			r := roa(ca, 64497, "10.1.0.0/16", 0)
			crl1 := ca.CRL(objecttest.CRLSpec{Number: 1})
			crl2 := ca.CRL(objecttest.CRLSpec{Number: 2, URI: ca.Repo + "second.crl"})
			mft := ca.Manifest(objecttest.MftSpec{Number: 1, Files: []objecttest.Object{crl1, crl2, r}})
			f.put(mft, crl1, crl2, r)
			f.pub(ta, g.Object, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §6.4"},
		check: count(KindManifest, invalidCount, 1),
	},
	{
		name: "stale manifest",
		build: func(f *fixture, ta *objecttest.Issuer) {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			f.put(pubPoint(ca, objecttest.MftSpec{ThisUpdate: now.Add(-48 * time.Hour), NextUpdate: now.Add(-time.Hour)},
				roa(ca, 64497, "10.1.0.0/16", 0))...)
			f.pub(ta, g.Object, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §6.3"},
		check: count(KindManifest, staleCount, 1),
	},
	{
		name: "ROA prefix outside the EE's inherited resources",
		build: func(f *fixture, ta *objecttest.Issuer) {
			ca := ta.CA(caSpec("10.0.0.0/16"))
			f.pub(ca, roa(ca, 64496, "10.0.0.0/16", 0), inheritROA(ca, 64497, "10.1.0.0/16"))
			f.pub(ta, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9582 §5"},
		check: count(KindROA, invalidCount, 1),
	},
	{
		name: "ASPA with AS0 as a provider",
		build: func(f *fixture, ta *objecttest.Issuer) {
			ca := ta.CA(caSpec("10.0.0.0/16"))
			f.pub(ca, roa(ca, 64496, "10.0.0.0/16", 0),
				ca.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{0, 64497}}))
			f.pub(ta, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"draft-ietf-sidrops-aspa-profile §4"},
		check: count(KindASPA, invalidCount, 1),
	},
	{
		name:  "overclaiming CA rejected",
		build: overclaimTree,
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 6487 §7.2: resources not held"},
		check: count(KindCert, invalidCount, 1),
	},
	{
		name:  "overclaiming CA trimmed",
		cfg:   Config{Overclaim: OverclaimTrim},
		build: overclaimTree,
		vrps:  []VRP{goodVRP, tv(64497, "10.2.0.0/16", 16)},
		rules: []string{"RFC 8360 §4"},
		check: count(KindROA, func(c Counts) int { return c.Valid }, 3),
	},
	{
		name: "inherit through three levels",
		build: func(f *fixture, ta *objecttest.Issuer) {
			p := ta.CA(caSpec("10.0.0.0/8"))
			a := p.CA(objecttest.CertSpec{})
			b := a.CA(objecttest.CertSpec{})
			c := b.CA(objecttest.CertSpec{})
			f.pub(ta, p.Object)
			f.pub(p, a.Object)
			f.pub(a, b.Object)
			f.pub(b, c.Object)
			f.pub(c, inheritROA(c, 64496, "10.0.0.0/16"), inheritROA(c, 64497, "11.0.0.0/16"),
				c.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{64497}}))
		},
		vrps:  []VRP{goodVRP},
		aspas: []ASPA{{Customer: 64496, Providers: []uint32{64497}, TA: "ta", Expires: dayExpiry}},
		rules: []string{"RFC 9582 §5"},
		check: count(KindROA, invalidCount, 1),
	},
	{
		name: "CA loop",
		build: func(f *fixture, ta *objecttest.Issuer) {
			a := ta.CA(caSpec("10.0.0.0/8"))
			b := a.CA(objecttest.CertSpec{})
			// A certificate for a's key below b, pointing at a's
			// publication point: a → b → a → ...
			again := b.CA(objecttest.CertSpec{Key: a.Key, Repo: a.Repo, Manifest: a.ManifestURI})
			f.pub(ta, a.Object)
			f.pub(a, b.Object, roa(a, 64496, "10.0.0.0/16", 0))
			f.pub(b, again.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 6487 §7.2: loop"},
		check: count(KindCert, invalidCount, 1),
	},
	{
		name: "chain deeper than the limit",
		cfg:  Config{MaxDepth: 3},
		build: func(f *fixture, ta *objecttest.Issuer) {
			parent := ta.CA(caSpec("10.0.0.0/8"))
			f.pub(ta, parent.Object)
			for range 3 {
				c := parent.CA(objecttest.CertSpec{})
				f.pub(parent, c.Object, inheritROA(parent, 64496, "10.0.0.0/16"))
				parent = c
			}
			f.pub(parent, inheritROA(parent, 64497, "10.0.0.0/16"))
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 6487 §7.2: more than 3"},
		check: count(KindCert, invalidCount, 1),
	},
	{
		name: "fresh point rejected, validated copy used",
		build: func(f *fixture, ta *objecttest.Issuer) {
			ca := ta.CA(caSpec("10.0.0.0/8"))
			f.write(f.store.ValidDir, pubPoint(ca, objecttest.MftSpec{Number: 1}, roa(ca, 64496, "10.0.0.0/16", 0))...)
			objs := pubPoint(ca, objecttest.MftSpec{Number: 2}, roa(ca, 64497, "10.1.0.0/16", 0))
			f.put(objs[:2]...) // the ROA is missing
			f.pub(ta, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §6.4"},
		check: count(KindROA, fromCacheCount, 1),
	},
	{
		name: "file lost from the download, validated copy used",
		build: func(f *fixture, ta *objecttest.Issuer) {
			ca := ta.CA(caSpec("10.0.0.0/8"))
			objs := pubPoint(ca, objecttest.MftSpec{}, roa(ca, 64496, "10.0.0.0/16", 0))
			f.write(f.store.ValidDir, objs...)
			f.put(objs[:2]...)
			f.pub(ta, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §6.4"},
		check: count(KindROA, fromCacheCount, 1),
	},
	{
		name: "stale manifest in both copies, counted once",
		build: func(f *fixture, ta *objecttest.Issuer) {
			g := good(f, ta)
			ca := ta.CA(caSpec("10.1.0.0/16"))
			objs := pubPoint(ca, objecttest.MftSpec{ThisUpdate: now.Add(-48 * time.Hour), NextUpdate: now.Add(-time.Hour)},
				roa(ca, 64497, "10.1.0.0/16", 0))
			f.write(f.store.ValidDir, objs...)
			f.put(objs...)
			f.pub(ta, g.Object, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §6.3"},
		check: count(KindManifest, staleCount, 1),
	},
	{
		name: "manifest number goes back",
		build: func(f *fixture, ta *objecttest.Issuer) {
			ca := ta.CA(caSpec("10.0.0.0/8"))
			f.write(f.store.ValidDir, pubPoint(ca, objecttest.MftSpec{Number: 5}, roa(ca, 64496, "10.0.0.0/16", 0))...)
			f.put(pubPoint(ca, objecttest.MftSpec{Number: 4}, roa(ca, 64497, "10.1.0.0/16", 0))...)
			f.pub(ta, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §4.2.1"},
		check: count(KindManifest, fromCacheCount, 1),
	},
	{
		name: "manifest thisUpdate goes back",
		build: func(f *fixture, ta *objecttest.Issuer) {
			ca := ta.CA(caSpec("10.0.0.0/8"))
			f.write(f.store.ValidDir, pubPoint(ca, objecttest.MftSpec{Number: 1}, roa(ca, 64496, "10.0.0.0/16", 0))...)
			f.put(pubPoint(ca, objecttest.MftSpec{Number: 2, ThisUpdate: now.Add(-2 * time.Hour)},
				roa(ca, 64497, "10.1.0.0/16", 0))...)
			f.pub(ta, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §4.2.1: thisUpdate"},
		check: count(KindManifest, invalidCount, 1),
	},
	{
		name: "manifest number skips ahead",
		build: func(f *fixture, ta *objecttest.Issuer) {
			ca := ta.CA(caSpec("10.0.0.0/8"))
			f.write(f.store.ValidDir, pubPoint(ca, objecttest.MftSpec{Number: 1, ThisUpdate: now.Add(-2 * time.Hour)},
				roa(ca, 64497, "10.1.0.0/16", 0))...)
			f.put(pubPoint(ca, objecttest.MftSpec{Number: 3}, roa(ca, 64496, "10.0.0.0/16", 0))...)
			f.pub(ta, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		check: count(KindManifest, func(c Counts) int { return c.SeqGap }, 1),
	},
	{
		name: "unsafe VRP rejected",
		cfg:  Config{UnsafeVRPs: UnsafeReject},
		build: func(f *fixture, ta *objecttest.Issuer) {
			p := ta.CA(caSpec("10.0.0.0/8"))
			bad := p.CA(objecttest.CertSpec{IP: []string{"10.1.0.0/16"}, NotAfter: now.Add(-time.Hour)})
			f.pub(ta, p.Object)
			f.pub(p, bad.Object, roa(p, 64496, "10.0.0.0/16", 0), roa(p, 64497, "10.1.2.0/24", 0))
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 6487 §4.6.2"},
	},
	{
		name: "unsafe VRP listed",
		cfg:  Config{UnsafeVRPs: UnsafeWarn},
		build: func(f *fixture, ta *objecttest.Issuer) {
			p := ta.CA(caSpec("10.0.0.0/8"))
			bad := p.CA(objecttest.CertSpec{IP: []string{"10.1.0.0/16"}, NotAfter: now.Add(-time.Hour)})
			f.pub(ta, p.Object)
			f.pub(p, bad.Object, roa(p, 64496, "10.0.0.0/16", 0), roa(p, 64497, "10.1.2.0/24", 0))
		},
		vrps: []VRP{goodVRP, tv(64497, "10.1.2.0/24", 24)},
		check: func(t *testing.T, res *Result) {
			want := "unsafe VRP 10.1.2.0/24-24 AS64497 (ta) kept: overlaps a rejected CA's resources"
			if !slices.Contains(res.Warnings, want) {
				t.Errorf("no warning %q", want)
			}
		},
	},
	{
		name: "unsafe VRP accepted",
		build: func(f *fixture, ta *objecttest.Issuer) {
			p := ta.CA(caSpec("10.0.0.0/8"))
			bad := p.CA(objecttest.CertSpec{IP: []string{"10.1.0.0/16"}, NotAfter: now.Add(-time.Hour)})
			f.pub(ta, p.Object)
			f.pub(p, bad.Object, roa(p, 64496, "10.0.0.0/16", 0), roa(p, 64497, "10.1.2.0/24", 0))
		},
		vrps:  []VRP{goodVRP, tv(64497, "10.1.2.0/24", 24)},
		rules: []string{"RFC 6487 §4.6.2"},
	},
	{
		name: "unknown file and unlisted file",
		build: func(f *fixture, ta *objecttest.Issuer) {
			ca := ta.CA(caSpec("10.0.0.0/8"))
			odd := objecttest.Object{Name: "notes.txt", URI: ca.Repo + "notes.txt", DER: []byte("hello\n")}
			f.pub(ca, roa(ca, 64496, "10.0.0.0/16", 0), odd)
			f.put(roa(ca, 64497, "10.1.0.0/16", 0))
			f.pub(ta, ca.Object)
		},
		vrps:  []VRP{goodVRP},
		rules: []string{"RFC 9286 §6.4"},
		check: func(t *testing.T, res *Result) {
			if res.Stats[KindROA] != (Counts{Valid: 1}) {
				t.Errorf("ROA counts %+v, want one valid", res.Stats[KindROA])
			}
		},
	},
}

// overclaimTree has a CA holding 10.2.0.0/16 and 192.0.2.0/24 below a
// parent holding only 10.0.0.0/8, with a ROA for each.
func overclaimTree(f *fixture, ta *objecttest.Issuer) {
	p := ta.CA(caSpec("10.0.0.0/8"))
	c := p.CA(objecttest.CertSpec{IP: []string{"10.2.0.0/16", "192.0.2.0/24"}, AS: []string{"inherit"}})
	f.pub(ta, p.Object)
	f.pub(p, c.Object, roa(p, 64496, "10.0.0.0/16", 0))
	f.pub(c, roa(c, 64497, "10.2.0.0/16", 0), roa(c, 64498, "192.0.2.0/24", 0))
}

func TestRunScenarios(t *testing.T) {
	all := slices.Concat(scenarios, moreScenarios)
	if len(all) < 40 {
		t.Errorf("%d scenarios, want at least 40", len(all))
	}
	for _, sc := range all {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t)
			ta := objecttest.NewTA(objecttest.CertSpec{})
			f.addTA("ta", ta)
			var want expect
			if sc.buildAt != nil {
				want = sc.buildAt(f, ta)
			} else {
				sc.build(f, ta)
			}
			res := f.run(sc.cfg)
			t.Logf("warnings:\n%s", joinLines(res.Warnings))
			if d := cmp.Diff(sc.vrps, res.VRPs, cmpOpts...); d != "" {
				t.Errorf("VRPs (-want +got):\n%s", d)
			}
			if d := cmp.Diff(sc.aspas, res.ASPAs, cmpOpts...); d != "" {
				t.Errorf("ASPAs (-want +got):\n%s", d)
			}
			if d := cmp.Diff(want.keys, res.RouterKeys, cmpOpts...); d != "" {
				t.Errorf("router keys (-want +got):\n%s", d)
			}
			checkAt(t, res, want.at)
			for _, rule := range sc.rules {
				if !hasRule(res, rule) {
					t.Errorf("no warning cites %s; warnings:\n%s", rule, joinLines(res.Warnings))
				}
			}
			if sc.check != nil {
				sc.check(t, res)
			}
			if want.again != nil {
				want.again(t, f)
			}
		})
	}
}

func joinLines(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}
