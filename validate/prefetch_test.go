package validate

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// prefetchStore is a DirStore whose directories record what they are
// asked to read ahead.
type prefetchStore struct {
	*DirStore
	mu           sync.Mutex
	names, valid []string
}

func (s *prefetchStore) OpenFreshDir(dirURI string) (DirReader, error) {
	d, err := s.DirStore.OpenFreshDir(dirURI)
	if err != nil {
		return nil, err
	}
	return prefetchDir{d, s}, nil
}

type prefetchDir struct {
	DirReader
	s *prefetchStore
}

func (d prefetchDir) Prefetch(names, validURIs []string) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	d.s.names = append(d.s.names, names...)
	d.s.valid = append(d.s.valid, validURIs...)
}

func (d prefetchDir) ReadValid(uri string) ([]byte, error) { return d.s.Valid(uri) }

// A point asks its directory to read ahead its manifest, the validated
// copy of the manifest, and then what the manifest lists: never a file
// the manifest does not list, however many a repository holds. The
// result is the same as without a Prefetcher.
func TestPrefetchOnlyListed(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	ca := ta.CA(caSpec("10.0.0.0/8"))
	listed := roa(ca, 64496, "10.0.0.0/16", 0)
	f.pub(ca, listed)
	unlisted := roa(ca, 64497, "10.1.0.0/16", 0)
	unlisted.Name, unlisted.URI = "junk.roa", ca.Repo+"junk.roa"
	f.put(unlisted)
	f.pub(ta, ca.Object)

	plain := f.run(Config{})
	s := &prefetchStore{DirStore: f.store}
	res, err := Run(context.Background(), Config{Now: now, Workers: 2, TALs: f.tals}, &syncer{}, s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plain.VRPs, res.VRPs, cmpOpts...); diff != "" {
		t.Errorf("VRPs with a Prefetcher differ (-without +with):\n%s", diff)
	}
	if slices.Contains(s.names, "junk.roa") {
		t.Errorf("a file the manifest does not list was read ahead: %q", s.names)
	}
	for _, want := range []string{listed.Name, ca.Object.Name} {
		if !slices.Contains(s.names, want) {
			t.Errorf("%s, listed on a manifest, not read ahead: %q", want, s.names)
		}
	}
	if !slices.Contains(s.valid, ca.ManifestURI) || !slices.Contains(s.valid, ta.ManifestURI) {
		t.Errorf("validated manifests not read ahead: %q", s.valid)
	}
}
