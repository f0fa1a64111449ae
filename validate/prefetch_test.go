package validate

import (
	"context"
	"os"
	"path/filepath"
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

// poisonStore is a DirStore whose directories read ahead as tally's cache
// does, and, like it, take the memory of what they read back on Close:
// here by overwriting it, so that anything a point job kept of those
// bytes past its end shows in the result.
type poisonStore struct{ *DirStore }

func (s poisonStore) OpenFreshDir(dirURI string) (DirReader, error) {
	d, err := s.DirStore.OpenFreshDir(dirURI)
	if err != nil {
		return nil, err
	}
	return &poisonDir{DirReader: d, s: s.DirStore, pre: map[string][]byte{}, valid: map[string][]byte{}}, nil
}

type poisonDir struct {
	DirReader
	s          *DirStore
	pre, valid map[string][]byte
	lent       [][]byte
}

func (d *poisonDir) Prefetch(names, validURIs []string) {
	for _, n := range names {
		if data, err := d.DirReader.ReadFile(n); err == nil {
			d.pre[n] = data
			d.lent = append(d.lent, data)
		}
	}
	for _, u := range validURIs {
		if data, err := d.s.Valid(u); err == nil {
			d.valid[u] = data
			d.lent = append(d.lent, data)
		}
	}
}

func (d *poisonDir) ReadFile(name string) ([]byte, error) {
	if data, ok := d.pre[name]; ok {
		delete(d.pre, name)
		return data, nil
	}
	return d.DirReader.ReadFile(name)
}

func (d *poisonDir) ReadValid(uri string) ([]byte, error) {
	if data, ok := d.valid[uri]; ok {
		delete(d.valid, uri)
		return data, nil
	}
	return d.s.Valid(uri)
}

func (d *poisonDir) Close() error {
	for _, b := range d.lent {
		for i := range b {
			b[i] = 0xA5
		}
	}
	return d.DirReader.Close()
}

// The bytes a Prefetcher reads are valid only until the directory is
// closed (cache.Dir reuses their memory): every scenario gives the same
// result when they are overwritten at Close as when they are not, so no
// point job keeps any of them past its end (a certificate it keeps is
// copied).
func TestPrefetchedBytesNotKept(t *testing.T) {
	for _, sc := range slices.Concat(scenarios, moreScenarios) {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t)
			ta := objecttest.NewTA(objecttest.CertSpec{})
			f.addTA("ta", ta)
			if sc.buildAt != nil {
				sc.buildAt(f, ta)
			} else {
				sc.build(f, ta)
			}
			// The same repository twice: each run promotes into its own.
			dir := t.TempDir()
			other := &DirStore{FreshDir: filepath.Join(dir, "fresh"), ValidDir: filepath.Join(dir, "valid")}
			for _, d := range [][2]string{{f.store.FreshDir, other.FreshDir}, {f.store.ValidDir, other.ValidDir}} {
				if _, err := os.Stat(d[0]); err == nil {
					if err := os.CopyFS(d[1], os.DirFS(d[0])); err != nil {
						t.Fatal(err)
					}
				}
			}
			cfg := sc.cfg
			if cfg.Now.IsZero() {
				cfg.Now = now
			}
			cfg.Workers, cfg.TALs = 2, f.tals
			want := f.run(sc.cfg)
			got, err := Run(context.Background(), cfg, &syncer{}, poisonStore{other})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
				t.Errorf("result with prefetched bytes overwritten at Close (-want +got):\n%s", diff)
			}
		})
	}
}
