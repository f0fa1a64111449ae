package validate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// bigTree publishes bigTops×bigLeaves leaf CAs below bigTops first-level
// CAs below one TA (1,040 CAs), with a ROA each, an ASPA and a router
// certificate per first-level CA, and some broken ones: every seventh leaf
// CA expired, one leaf's point missing a file. CA keys come from one
// KeySource, skipping those of the TA, of the CA's parent (a loop
// otherwise) and the two reserved for EE certificates (whose issuer would
// have its own key otherwise).
const bigTops, bigLeaves = 40, 25

func bigTree(f *fixture) {
	const n = objecttest.NumKeys
	mftEE, objEE := objecttest.Key(n-1), objecttest.Key(n-2)
	ks := objecttest.NewKeySource(0)
	ta := ks.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	idx := 1 // keys drawn so far: the TA's
	skip := func(bad ...int) {
		for slices.Contains(bad, idx%n) {
			ks.Next()
			idx++
		}
	}
	mft := objecttest.MftSpec{EE: objecttest.CertSpec{Key: mftEE}}
	var tops []objecttest.Object
	for i := range bigTops {
		skip(0, n-1, n-2)
		top := ta.CA(objecttest.CertSpec{IP: []string{fmt.Sprintf("10.%d.0.0/16", i)}, AS: []string{"AS64496-AS65535"}})
		topIdx := idx
		idx++
		tops = append(tops, top.Object)
		objs := []objecttest.Object{
			top.ASPA(objecttest.ASPASpec{Customer: 64496, Providers: []int64{int64(65000 + i)},
				EE: objecttest.CertSpec{Key: objEE}}),
			top.Router(objecttest.RouterSpec{AS: []string{fmt.Sprintf("AS%d", 64496+i)}}),
		}
		for j := range bigLeaves {
			skip(0, n-1, n-2, topIdx%n)
			prefix := fmt.Sprintf("10.%d.%d.0/24", i, j)
			spec := objecttest.CertSpec{IP: []string{prefix}, AS: []string{"inherit"}}
			if (i*bigLeaves+j)%7 == 0 {
				spec.NotAfter = now.Add(-time.Hour)
			}
			leaf := top.CA(spec)
			idx++
			objs = append(objs, leaf.Object)
			r := leaf.ROA(objecttest.ROASpec{ASID: int64(64496 + j), Prefixes: []objecttest.ROAPrefix{{Prefix: prefix}},
				EE: objecttest.CertSpec{Key: objEE}})
			leafObjs := pubPoint(leaf, mft, r)
			if i == 3 && j == 5 {
				leafObjs = leafObjs[:2] // the ROA is missing
			}
			f.put(leafObjs...)
		}
		f.put(pubPoint(top, mft, objs...)...)
	}
	f.put(pubPoint(ta, mft, tops...)...)
}

func TestRunSameResultForAnyWorkers(t *testing.T) {
	f := newFixture(t)
	bigTree(f)
	var results []*Result
	for _, workers := range []int{1, 8} {
		f.store.ValidDir = filepath.Join(t.TempDir(), "valid")
		results = append(results, f.run(Config{Workers: workers}))
	}
	if d := cmp.Diff(results[0], results[1], cmpOpts...); d != "" {
		t.Errorf("1 worker (-) and 8 workers (+) differ:\n%s", d)
	}
	res := results[0]
	leaves := bigTops * bigLeaves
	expired := (leaves + 6) / 7 // every seventh from the first
	if got, want := res.Stats[KindCert].Valid, 1+bigTops+leaves-expired; got != want {
		t.Errorf("valid CA certificates: %d, want %d", got, want)
	}
	// One more leaf, not an expired one, has no ROA.
	if got, want := len(res.VRPs), leaves-expired-1; got != want {
		t.Errorf("VRPs: %d, want %d", got, want)
	}
	if len(res.ASPAs) != 1 || len(res.ASPAs[0].Providers) != bigTops {
		t.Errorf("ASPAs: %+v, want AS64496 with %d providers", res.ASPAs, bigTops)
	}
	if len(res.RouterKeys) != bigTops || len(res.NonFunctional) != 1 {
		t.Errorf("%d router keys, %d non-functional CAs; want %d and 1", len(res.RouterKeys), len(res.NonFunctional), bigTops)
	}
	if got, want := len(res.Warnings), expired+2; got != want {
		t.Errorf("%d warnings, want %d:\n%s", got, want, joinLines(res.Warnings))
	}
}

func TestRunPromotesValidatedPoints(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	ca := good(f, ta)
	f.pub(ta, ca.Object)
	f.run(Config{})
	for _, uri := range []string{ca.ManifestURI, ca.CRLURI, ta.ManifestURI} {
		if _, err := f.store.Valid(uri); err != nil {
			t.Errorf("not promoted: %v", err)
		}
	}

	// The next fetch fails; the validated copy gives the same VRPs. The
	// TA certificate is not promoted by Run (the cache keeps it), so it is
	// put there by hand.
	f.write(f.store.ValidDir, ta.Object)
	s := &syncer{failed: map[string]bool{ca.Repo: true}}
	cfg := Config{Now: now, Workers: 2, TALs: f.tals}
	res, err := Run(context.Background(), cfg, s, &DirStore{FreshDir: t.TempDir(), ValidDir: f.store.ValidDir})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]VRP{goodVRP}, res.VRPs, cmpOpts...); d != "" {
		t.Errorf("VRPs from the validated copy (-want +got):\n%s", d)
	}
	if res.Stats[KindROA].FromCache != 1 {
		t.Errorf("ROA counts %+v, want one from the cache", res.Stats[KindROA])
	}
	var states []string
	for _, r := range res.Repos {
		states = append(states, r.CARepository+" "+r.State)
	}
	want := []string{ca.Repo + " failed", ta.Repo + " synced"}
	if d := cmp.Diff(want, states); d != "" {
		t.Errorf("repository states (-want +got):\n%s", d)
	}
}

func TestRunTAL(t *testing.T) {
	ks := objecttest.NewKeySource(0)
	ta := ks.NewTA(objecttest.CertSpec{})
	other := ks.NewTA(objecttest.CertSpec{})
	tests := []struct {
		name    string
		tal     []byte
		invalid int
		rule    string
	}{
		{"good", ta.TAL(), 0, ""},
		{"key differs", objecttest.TAL([]string{ta.URI}, other.SPKI()), 1, "RFC 8630 §2.3"},
		{"no certificate", ta.TAL("rsync://rpki.example.net/ta/missing.cer"), 1, "RFC 8630 §3"},
		{"not a TAL", []byte("hello\n"), 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.put(ta.Object)
			f.pub(ta)
			f.tals = []TALFile{{Name: "ta", Path: "ta.tal", Data: tt.tal}}
			res := f.run(Config{})
			if res.InvalidTALs != tt.invalid || res.TALCount != 1 {
				t.Errorf("TALs %d, invalid %d; want 1, %d; warnings %q", res.TALCount, res.InvalidTALs, tt.invalid, res.Warnings)
			}
			if tt.rule != "" && !hasRule(res, tt.rule) {
				t.Errorf("no warning cites %s: %q", tt.rule, res.Warnings)
			}
		})
	}
}

func TestRunVisitsCAOnce(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	ca := good(f, ta)
	twin := ca.Object
	twin.Name, twin.URI = "twin.cer", ta.Repo+"twin.cer"
	f.pub(ta, ca.Object, twin)
	res := f.run(Config{}) // fails if a repository is synced twice
	if d := cmp.Diff([]VRP{goodVRP}, res.VRPs, cmpOpts...); d != "" {
		t.Errorf("VRPs (-want +got):\n%s", d)
	}
	if res.Stats[KindManifest].Valid != 2 || !hasRule(res, "publication point") {
		t.Errorf("manifests %+v, warnings %q; want 2 and one CA reached again", res.Stats[KindManifest], res.Warnings)
	}
}

// failingSyncer fails every sync after the first with err.
type failingSyncer struct {
	syncer
	err error
}

func (s *failingSyncer) Sync(ctx context.Context, notify, rsync string) (bool, error) {
	if strings.HasSuffix(rsync, ".cer") { // the TA certificate
		return true, nil
	}
	return false, s.err
}

func TestRunStopsOnFault(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	f.pub(ta, good(f, ta).Object)
	fault := errors.New("disk on fire")
	cfg := Config{Now: now, Workers: 2, TALs: f.tals}
	res, err := Run(context.Background(), cfg, &failingSyncer{err: fault}, f.store)
	if !errors.Is(err, fault) || res != nil {
		t.Errorf("Run = %v, %v; want no result and the sync's error", res, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err = Run(ctx, cfg, &syncer{}, f.store)
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("cancelled Run = %v, %v; want context.Canceled", res, err)
	}
}

func TestRunTAFromHTTPS(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	https := "https://rpki.example.net/tal-served/ta.cer"
	served := ta.Object
	served.URI = https
	f.put(served) // only the https URI serves it
	f.tals = []TALFile{{Name: "ta", Path: "ta.tal", Data: ta.TAL(https, ta.URI)}}
	f.pub(ta, good(f, ta).Object)
	res := f.run(Config{})
	if d := cmp.Diff([]VRP{goodVRP}, res.VRPs, cmpOpts...); d != "" {
		t.Errorf("VRPs (-want +got):\n%s\nwarnings %q", d, res.Warnings)
	}
}
