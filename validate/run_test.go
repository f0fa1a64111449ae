package validate

import (
	"context"
	"crypto/x509"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/validate/object/objecttest"
)

var now = objecttest.Now()

// dayExpiry is the expiry of a payload under default fixtures: the
// manifests' and CRLs' nextUpdate, a day after now.
var dayExpiry = now.Add(24 * time.Hour).Unix()

var cmpOpts = []cmp.Option{cmpopts.EquateComparable(netip.Prefix{}, netip.Addr{}), cmpopts.EquateEmpty()}

// fixture is a test repository on disk: files written under their URIs
// into a fresh and a validated area, and the TALs naming the TAs in them.
type fixture struct {
	t     *testing.T
	store *DirStore
	tals  []TALFile
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	return &fixture{t: t, store: &DirStore{FreshDir: filepath.Join(dir, "fresh"), ValidDir: filepath.Join(dir, "valid")}}
}

// write puts objects into the directory tree root.
func (f *fixture) write(root string, objs ...objecttest.Object) {
	f.t.Helper()
	for _, o := range objs {
		u, err := cache.ParseURI(o.URI)
		if err != nil {
			f.t.Fatal(err)
		}
		p := filepath.Join(root, filepath.FromSlash(u.Path()))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.t.Fatal(err)
		}
		if err := os.WriteFile(p, o.DER, 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
}

// put writes objects to the fresh area.
func (f *fixture) put(objs ...objecttest.Object) { f.t.Helper(); f.write(f.store.FreshDir, objs...) }

// addTA publishes a TA certificate and adds a TAL for it.
func (f *fixture) addTA(name string, ta *objecttest.Issuer) {
	f.t.Helper()
	f.put(ta.Object)
	f.tals = append(f.tals, TALFile{Name: name, Path: name + ".tal", Data: ta.TAL()})
}

// pubPoint publishes iss's publication point with a CRL and a manifest
// listing them and objs, and returns the objects written.
func pubPoint(iss *objecttest.Issuer, mft objecttest.MftSpec, objs ...objecttest.Object) []objecttest.Object {
	crl := iss.CRL(objecttest.CRLSpec{Number: 1})
	if mft.Number == 0 {
		mft.Number = 1
	}
	mft.Files = append([]objecttest.Object{crl}, objs...)
	return append([]objecttest.Object{iss.Manifest(mft), crl}, objs...)
}

// pub writes a default publication point of iss to the fresh area.
func (f *fixture) pub(iss *objecttest.Issuer, objs ...objecttest.Object) {
	f.t.Helper()
	f.put(pubPoint(iss, objecttest.MftSpec{}, objs...)...)
}

// syncer is a Syncer that reports every repository fresh, except those in
// failed, and remembers the calls.
type syncer struct {
	mu     sync.Mutex // guards calls
	calls  map[string]int
	failed map[string]bool
}

func (s *syncer) Sync(ctx context.Context, notify, rsync string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = make(map[string]int)
	}
	s.calls[notify+" "+rsync]++
	return !s.failed[rsync], nil
}

// run validates the fixture with cfg completed by defaults.
func (f *fixture) run(cfg Config) *Result {
	f.t.Helper()
	if cfg.Now.IsZero() {
		cfg.Now = now
	}
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	cfg.TALs = f.tals
	s := &syncer{}
	res, err := Run(context.Background(), cfg, s, f.store)
	if err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	for call, n := range s.calls {
		if n != 1 {
			f.t.Errorf("Sync(%s) called %d times, want once", call, n)
		}
	}
	return res
}

// tv builds a VRP of TA "ta" with the default expiry.
func tv(asn uint32, prefix string, maxLen uint8) VRP {
	return VRP{ASN: asn, Prefix: netip.MustParsePrefix(prefix), MaxLength: maxLen, TA: "ta", Expires: dayExpiry}
}

// roa builds a ROA of iss for one prefix.
func roa(iss *objecttest.Issuer, asn int64, prefix string, maxLen int) objecttest.Object {
	return iss.ROA(objecttest.ROASpec{ASID: asn, Prefixes: []objecttest.ROAPrefix{{Prefix: prefix, MaxLength: maxLen}}})
}

// hasRule reports whether a warning names rule, which may go on with the
// start of the message ("RFC 6487 §7.2: loop").
func hasRule(res *Result, rule string) bool {
	for _, w := range res.Warnings {
		if strings.Contains(w, ": "+rule) {
			return true
		}
	}
	return false
}

func TestRunGoodTree(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	ca := ta.CA(objecttest.CertSpec{
		IP: []string{"10.0.0.0/8", "2001:db8::/32"},
		AS: []string{"AS64496-AS64511"},
	})
	f.addTA("ta", ta)
	f.pub(ta, ca.Object, ta.TAK(objecttest.TAKSpec{}))
	r1 := ca.ROA(objecttest.ROASpec{ASID: 64496, Prefixes: []objecttest.ROAPrefix{
		{Prefix: "10.1.0.0/16", MaxLength: 24}, {Prefix: "2001:db8::/32", MaxLength: 48},
	}})
	r2 := roa(ca, 64497, "10.2.0.0/16", 0)
	aspa := ca.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{64497, 64500}})
	router := ca.Router(objecttest.RouterSpec{AS: []string{"AS64498"}})
	gbr := ca.GBR(objecttest.GBRSpec{})
	f.pub(ca, r1, r2, aspa, router, gbr)

	res := f.run(Config{})

	routerCert, err := x509.ParseCertificate(router.DER)
	if err != nil {
		t.Fatal(err)
	}
	caStats, taStats := Stats{}, Stats{}
	taStats[KindCert].Valid = 1 // the TA certificate, in no repository
	for _, s := range []*Stats{&caStats, &taStats} {
		s[KindManifest].Valid = 1
		s[KindCRL].Valid = 1
	}
	taStats[KindCert].Valid++ // the CA
	taStats[KindTAK].Valid = 1
	caStats[KindROA].Valid = 2
	caStats[KindASPA].Valid = 1
	caStats[KindGBR].Valid = 1
	caStats[KindRouterCert].Valid = 1
	var total Stats
	total.Add(taStats)
	total.Add(caStats)
	repoTA := taStats
	repoTA[KindCert].Valid-- // the TA certificate
	want := &Result{
		VRPs: []VRP{
			tv(64496, "10.1.0.0/16", 24),
			tv(64497, "10.2.0.0/16", 16),
			tv(64496, "2001:db8::/32", 48),
		},
		VRPTotal:  3,
		ASPAs:     []ASPA{{Customer: 64496, Providers: []uint32{64497, 64500}, TA: "ta", Expires: dayExpiry}},
		ASPATotal: 1,
		RouterKeys: []RouterKey{{
			ASN: 64498, SKI: router.SKI, PublicKey: routerCert.RawSubjectPublicKeyInfo, TA: "ta", Expires: dayExpiry,
		}},
		TAs: []TAStats{{Name: "ta", TALFile: "ta.tal", Stats: total,
			Payloads: Payloads{VRPs: 3, UniqueVRPs: 3, VAPs: 1, UniqueVAPs: 1, VAPProviders: 2}}},
		Repos: []RepoStats{
			{CARepository: ca.Repo, Notify: ca.Notify, State: "synced",
				TAs: []RepoTAStats{{TA: "ta", Stats: caStats, Payloads: Payloads{VRPs: 3, VAPs: 1}}}},
			{CARepository: ta.Repo, Notify: ta.Notify, State: "synced",
				TAs: []RepoTAStats{{TA: "ta", Stats: repoTA}}},
		},
		Stats:    total,
		TALCount: 1,
	}
	if d := cmp.Diff(want, res, cmpOpts...); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// Walked is called once, after the walk, with exactly the repositories
// the result lists.
func TestWalkedHook(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	ca := ta.CA(caSpec("10.0.0.0/8"))
	f.pub(ca, roa(ca, 64496, "10.1.0.0/16", 0))
	f.pub(ta, ca.Object)
	var got [][]RepoRef
	res := f.run(Config{Walked: func(repos []RepoRef) { got = append(got, repos) }})
	if len(got) != 1 {
		t.Fatalf("Walked called %d times, want once", len(got))
	}
	var want []RepoRef
	for _, r := range res.Repos {
		want = append(want, RepoRef{CARepository: r.CARepository, Notify: r.Notify})
	}
	byURI := func(a, b RepoRef) int { return strings.Compare(a.CARepository+a.Notify, b.CARepository+b.Notify) }
	slices.SortFunc(got[0], byURI)
	slices.SortFunc(want, byURI)
	if len(want) != 2 || !slices.Equal(got[0], want) {
		t.Errorf("Walked got %v, the result lists %v (want the TA's and the CA's)", got[0], want)
	}
}

// A ROA rejected by its second or third prefix gives no VRP at all, not
// even for the prefixes before the bad one; the ROAs around it in the same
// publication point give theirs.
func TestROARejectedWhole(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	ca := ta.CA(caSpec("10.0.0.0/8"))
	// The EE certificate inherits its resources (10.0.0.0/8): only
	// validation, not parsing, can find a prefix outside them.
	mixed := func(asn int64, bad objecttest.ROAPrefix) objecttest.Object {
		return ca.ROA(objecttest.ROASpec{ASID: asn, Prefixes: []objecttest.ROAPrefix{
			{Prefix: "10.5.0.0/16"}, {Prefix: "10.8.0.0/16", MaxLength: 24}, bad},
			EE: objecttest.CertSpec{IP: []string{"inherit"}}})
	}
	f.pub(ca,
		roa(ca, 64496, "10.1.0.0/16", 0),
		mixed(64497, objecttest.ROAPrefix{Prefix: "11.0.0.0/16"}),               // outside the EE's resources
		mixed(64498, objecttest.ROAPrefix{Prefix: "10.8.0.0/16", MaxLength: 8}), // maxLength < length
		roa(ca, 64499, "10.2.0.0/16", 0))
	f.pub(ta, ca.Object)
	res := f.run(Config{})
	want := []VRP{tv(64496, "10.1.0.0/16", 16), tv(64499, "10.2.0.0/16", 16)}
	if diff := cmp.Diff(want, res.VRPs, cmpOpts...); diff != "" {
		t.Errorf("VRPs (-want +got):\n%s", diff)
	}
	if c := res.Stats[KindROA]; c.Invalid+c.FailedParse != 2 || c.Valid != 2 {
		t.Errorf("ROAs: %+v, want 2 valid and 2 rejected", c)
	}
}
