package main

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate/object"
	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// testKeys gives the CAs objecttest's constant keys, so that no test
// generates one; the shared EE keys are the last eeKeyPool of them.
type testKeys struct{}

func (testKeys) Key(i int) (*rsa.PrivateKey, error) { return objecttest.Key(i), nil }

// tinyConfig is a world of 20 CAs and 60 ROAs with every kind of object,
// inherit and rsync-only repositories.
func tinyConfig(out string) *Config {
	cfg := DefaultConfig()
	cfg.CAs, cfg.ROAs, cfg.ASPAs, cfg.Routers, cfg.GBRShare = 20, 60, 6, 3, 0.3
	cfg.InheritCA = true
	cfg.Workers = 2
	cfg.Out = out
	cfg.Keys = testKeys{}
	if err := cfg.finish(); err != nil {
		panic(err)
	}
	return cfg
}

// buildTiny builds the tiny world in a new directory.
func buildTiny(t *testing.T) (*Config, *world) {
	t.Helper()
	cfg := tinyConfig(t.TempDir())
	p := newPlan(cfg)
	if n := p.keysNeeded(); n > objecttest.NumKeys-eeKeyPool {
		t.Fatalf("tiny world needs %d CA keys, more than the constant keys apart from the EE ones", n)
	}
	w, err := build(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, w
}

// TestWorld walks the tiny world from its TALs as a validator would and
// checks every file against tally's parsers, every manifest against its
// directory, every resource against the issuer's, and the expected files
// against the payloads found.
func TestWorld(t *testing.T) {
	cfg, w := buildTiny(t)
	v := &walker{t: t, out: cfg.Out, seen: map[string]bool{}}
	tas := []string{}
	for i, ta := range w.TAs {
		tas = append(tas, ta.Name)
		v.trustAnchor(i, filepath.Join(cfg.Out, ta.TAL))
	}
	if got, want := v.cas, cfg.TAs+cfg.CAs; got != want {
		t.Errorf("walked %d CAs, want %d", got, want)
	}
	// Every file in the rsync tree is reachable from a TAL.
	filepath.WalkDir(filepath.Join(cfg.Out, "rsync"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !v.seen[p] {
			t.Errorf("%s is not reachable from any TAL", p)
		}
		return err
	})
	if v.inherit == 0 {
		t.Error("no CA certificate uses inherit, though InheritCA is set")
	}
	if w.Counts.ROAs != cfg.ROAs || w.Counts.ASPAs != cfg.ASPAs || w.Counts.Routers != cfg.Routers || w.Counts.GBRs == 0 {
		t.Errorf("counts %+v do not match the configuration", w.Counts.objectCounts)
	}
	expires := strconv.FormatInt(w.NotAfter.Unix(), 10)
	checkLines(t, cfg.Out, "vrps.csv", vrpHeader, func() (lines []string) {
		for _, x := range uniqueVRPs(v.vrps) {
			lines = append(lines, x.line(tas, expires))
		}
		return lines
	})
	checkLines(t, cfg.Out, "aspas.csv", vapHeader, func() (lines []string) {
		for _, x := range mergeVAPs(v.aspas) {
			lines = append(lines, x.line(expires))
		}
		return lines
	})
	checkLines(t, cfg.Out, "routerkeys.csv", routerKeyHeader, func() (lines []string) {
		for _, x := range uniqueRouterKeys(v.routers) {
			lines = append(lines, x.line(tas, expires))
		}
		return lines
	})
	if w.Counts.UniqueVRPs != len(uniqueVRPs(v.vrps)) {
		t.Errorf("world.json counts %d unique VRPs, the ROAs give %d", w.Counts.UniqueVRPs, len(uniqueVRPs(v.vrps)))
	}
	checkRRDP(t, cfg.Out, w.Repositories)
}

// walker visits a world from its TALs and gathers the payloads.
type walker struct {
	t       *testing.T
	out     string
	seen    map[string]bool // files visited
	cas     int
	inherit int // CA certificates with an inherit family
	vrps    []vrp
	aspas   []vap
	routers []routerKey
}

// trustAnchor checks TAL i and the TA certificate it names, and walks the
// tree below it.
func (v *walker) trustAnchor(i int, talPath string) {
	t := v.t
	tal, err := object.ParseTAL(readFile(t, talPath))
	if err != nil {
		t.Fatalf("%s: %v", talPath, err)
	}
	var der []byte
	for _, u := range tal.URIs {
		d := readFile(t, uriPath(v.out, u))
		if der != nil && !bytes.Equal(d, der) {
			t.Errorf("%s: the TAL's URIs serve different certificates", talPath)
		}
		der = d
		v.seen[uriPath(v.out, u)] = true
	}
	ta := v.decodeCert(uriPath(v.out, tal.URIs[0]), der)
	if !bytes.Equal(ta.RawSPKI, tal.SPKI) || !ta.SelfSigned {
		t.Errorf("%s: TA certificate does not match its TAL or is not self-signed", talPath)
	}
	v.ca(ta, ta.Resources, i)
}

// ca checks the publication point of ca, whose effective resources are
// eff, and descends into its children.
func (v *walker) ca(ca *object.Cert, eff object.Resources, ta int) {
	t := v.t
	v.cas++
	dir := uriPath(v.out, ca.CARepository)
	mftPath := uriPath(v.out, ca.Manifest)
	if filepath.Dir(mftPath) != filepath.Clean(dir) {
		t.Errorf("%s: manifest %s is not in the CA's repository", dir, ca.Manifest)
	}
	_, val, err := object.Decode(mftPath, readFile(t, mftPath))
	if err != nil {
		t.Fatalf("%s: %v", mftPath, err)
	}
	v.seen[mftPath] = true
	mft := val.(*object.Manifest)
	v.checkEE(mftPath, mft.Signed.EE, ca)
	// Every manifest lists exactly the files beside it, with their hashes.
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names, listed []string
	for _, e := range ents {
		if e.Name() != filepath.Base(mftPath) {
			names = append(names, e.Name())
		}
	}
	crls := 0
	for _, f := range mft.Files {
		listed = append(listed, f.Name)
		path := filepath.Join(dir, f.Name)
		data := readFile(t, path)
		if sha256.Sum256(data) != f.Hash {
			t.Errorf("%s: hash differs from the manifest's", path)
		}
		v.seen[path] = true
		if strings.HasSuffix(f.Name, ".crl") {
			crls++
		}
		v.file(path, data, ca, eff, ta)
	}
	slices.Sort(listed)
	if diff := cmp.Diff(names, listed); diff != "" {
		t.Errorf("%s: manifest and directory differ (-directory +manifest):\n%s", mftPath, diff)
	}
	if crls != 1 {
		t.Errorf("%s: %d CRLs listed, want 1", mftPath, crls)
	}
}

// file checks one listed file of the publication point of ca.
func (v *walker) file(path string, data []byte, ca *object.Cert, eff object.Resources, ta int) {
	t := v.t
	if strings.HasSuffix(path, ".cer") {
		c := v.decodeCert(path, data)
		v.checkIssued(path, c, ca, eff)
		if c.Kind == object.KindRouter {
			v.router(c, ta)
			return
		}
		if c.Resources.IPv4.Inherit || c.Resources.IPv6.Inherit || c.Resources.AS.Inherit {
			v.inherit++
		}
		v.ca(c, c.Resources.Resolve(eff), ta)
		return
	}
	_, val, err := object.Decode(path, data)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	switch o := val.(type) {
	case *object.CRL:
		if err := o.CheckSignatureFrom(ca); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	case *object.ROA:
		v.checkEE(path, o.Signed.EE, ca)
		for _, p := range o.Prefixes {
			if !eff.CoversPrefix(p.Prefix) {
				t.Errorf("%s: prefix %v outside the CA's resources", path, p.Prefix)
			}
			v.vrps = append(v.vrps, vrp{o.ASID, p.Prefix, p.MaxLength, ta})
		}
	case *object.ASPA:
		v.checkEE(path, o.Signed.EE, ca)
		if !eff.CoversASN(o.Customer) {
			t.Errorf("%s: customer AS%d outside the CA's resources", path, o.Customer)
		}
		v.aspas = append(v.aspas, vap{o.Customer, o.Providers})
	case *object.GBR:
		v.checkEE(path, o.Signed.EE, ca)
	default:
		t.Errorf("%s: unexpected %T in a publication point", path, val)
	}
}

// decodeCert parses a .cer file with object.Decode.
func (v *walker) decodeCert(path string, data []byte) *object.Cert {
	_, val, err := object.Decode(path, data)
	if err != nil {
		v.t.Fatalf("%s: %v", path, err)
	}
	return val.(*object.Cert)
}

// checkIssued checks that c is signed by ca and holds only resources of
// eff, ca's effective resources.
func (v *walker) checkIssued(path string, c, ca *object.Cert, eff object.Resources) {
	if err := c.CheckSignatureFrom(ca); err != nil {
		v.t.Errorf("%s: %v", path, err)
	}
	if !bytes.Equal(c.AKI, ca.SKI) {
		v.t.Errorf("%s: AKI is not the issuer's SKI", path)
	}
	if !eff.Contains(c.Resources) {
		v.t.Errorf("%s: resources %s not contained in the issuer's %s", path, resString(c.Resources), resString(eff))
	}
}

// checkEE checks the EE certificate of a signed object.
func (v *walker) checkEE(path string, ee, ca *object.Cert) {
	if err := ee.CheckSignatureFrom(ca); err != nil {
		v.t.Errorf("%s: EE certificate: %v", path, err)
	}
	if uriPath(v.out, ee.SignedObject) != path {
		v.t.Errorf("%s: EE certificate names %s", path, ee.SignedObject)
	}
}

// router collects the keys of a router certificate.
func (v *walker) router(c *object.Cert, ta int) {
	spki := base64.StdEncoding.EncodeToString(c.RawSPKI)
	for _, r := range c.Resources.AS.Ranges {
		for asn := r.Min; ; asn++ {
			v.routers = append(v.routers, routerKey{asn, hexID(c.SKI), spki, ta})
			if asn == r.Max {
				break
			}
		}
	}
}

// checkLines compares expected/name with the header and lines want gives.
func checkLines(t *testing.T, out, name, header string, want func() []string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(string(readFile(t, filepath.Join(out, "expected", name))), "\n"), "\n")
	lines := want()
	if len(lines) == 0 {
		t.Errorf("%s: the world has no such payloads", name)
	}
	if diff := cmp.Diff(append([]string{header}, lines...), got); diff != "" {
		t.Errorf("expected/%s differs from the payloads of the objects (-objects +file):\n%s", name, diff)
	}
}

// rrdpXML is the part of a notification or snapshot the test reads.
type rrdpXML struct {
	Session  string `xml:"session_id,attr"`
	Serial   int    `xml:"serial,attr"`
	Snapshot struct {
		URI  string `xml:"uri,attr"`
		Hash string `xml:"hash,attr"`
	} `xml:"snapshot"`
	Publish []struct {
		URI  string `xml:"uri,attr"`
		Data string `xml:",chardata"`
	} `xml:"publish"`
}

// checkRRDP checks that every RRDP repository's snapshot matches its
// notification and holds exactly the files of its rsync directory.
func checkRRDP(t *testing.T, out string, repos []repo) {
	rrdp := 0
	for _, r := range repos {
		if r.Notify == "" {
			continue
		}
		rrdp++
		var n, s rrdpXML
		readXML(t, uriPath(out, r.Notify), &n)
		data := readFile(t, uriPath(out, n.Snapshot.URI))
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != n.Snapshot.Hash {
			t.Errorf("%s: snapshot hash differs from the notification's", r.Name)
		}
		if err := xml.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		if s.Session != n.Session || s.Serial != n.Serial || n.Session != r.Session {
			t.Errorf("%s: session or serial differ", r.Name)
		}
		var files, published []string
		filepath.WalkDir(uriPath(out, r.RsyncBase), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return err
		})
		for _, p := range s.Publish {
			path := uriPath(out, p.URI)
			published = append(published, path)
			der, err := base64.StdEncoding.DecodeString(p.Data)
			if err != nil || !bytes.Equal(der, readFile(t, path)) {
				t.Errorf("%s: snapshot content differs from the rsync file (%v)", p.URI, err)
			}
		}
		if diff := cmp.Diff(files, published); diff != "" {
			t.Errorf("%s: snapshot and rsync directory differ (-rsync +snapshot):\n%s", r.Name, diff)
		}
	}
	if rrdp == 0 || rrdp == len(repos) {
		t.Errorf("%d of %d repositories have RRDP; want some but not all", rrdp, len(repos))
	}
}

// TestDeterministic builds the tiny world twice and compares every file
// but the rsyncd configurations, which name the directory.
func TestDeterministic(t *testing.T) {
	a, _ := buildTiny(t)
	b, _ := buildTiny(t)
	want, got := treeHashes(t, a.Out), treeHashes(t, b.Out)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("two builds differ (-first +second):\n%s", diff)
	}
}

// treeHashes maps each file under out, but serve/, to its SHA-256.
func treeHashes(t *testing.T, out string) map[string]string {
	m := map[string]string{}
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		if !strings.HasPrefix(rel, "serve") {
			sum := sha256.Sum256(readFile(t, p))
			m[rel] = hex.EncodeToString(sum[:])
		}
		return nil
	})
	return m
}

// TestPlan checks the shape of a larger plan, which needs no keys: levels,
// parents before children, and every piece inside its parent's.
func TestPlan(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CAs, cfg.ROAs, cfg.Out = 2000, 10000, t.TempDir()
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	p := newPlan(cfg)
	roas, deepest := 0, 0
	for i, c := range p.cas {
		roas += c.roas
		deepest = max(deepest, c.depth)
		if c.inheritIP || c.inheritAS {
			t.Errorf("CA %d inherits without InheritCA", i)
		}
		if !c.v4.Contains(c.own4.Addr()) || c.own4.Bits() < c.v4.Bits() ||
			!c.v6.Contains(c.own6.Addr()) || c.own6.Bits() < c.v6.Bits() ||
			c.ownAS.Lo < c.as.Lo || c.ownAS.Hi > c.as.Hi {
			t.Errorf("CA %d: own piece outside its resources", i)
		}
		if c.parent < 0 {
			continue
		}
		par := p.cas[c.parent]
		if c.parent >= i || c.depth != par.depth+1 || c.depth > cfg.Depth {
			t.Errorf("CA %d: parent %d, depth %d under %d", i, c.parent, c.depth, par.depth)
		}
		if !inside(c.v4, par.v4) || !inside(c.v6, par.v6) || c.as.Lo < par.as.Lo || c.as.Hi > par.as.Hi {
			t.Errorf("CA %d: resources %v %v %v outside its parent's %v %v %v", i, c.v4, c.v6, c.as, par.v4, par.v6, par.as)
		}
	}
	if roas != cfg.ROAs || len(p.cas) != cfg.CAs+cfg.TAs || deepest != cfg.Depth {
		t.Errorf("plan has %d ROAs, %d CAs, depth %d", roas, len(p.cas), deepest)
	}
}

func inside(child, parent netip.Prefix) bool {
	return child.Bits() >= parent.Bits() && parent.Contains(child.Addr())
}

// TestCompareVRP checks the order with the example of FORMATS.md §1.2.
func TestCompareVRP(t *testing.T) {
	mk := func(asn uint32, p string, maxLen int) vrp { return vrp{asn, netip.MustParsePrefix(p), maxLen, 0} }
	want := []vrp{
		mk(64496, "192.0.2.0/24", 24),
		mk(64497, "192.0.2.0/24", 24),
		mk(64496, "192.0.2.128/25", 25),
		mk(64496, "198.51.100.0/25", 25),
		mk(64496, "198.51.100.0/24", 26),
		mk(64496, "198.51.100.0/24", 24),
		mk(64511, "2001:db8::/48", 48),
		mk(64511, "2001:db8::/32", 48),
	}
	got := slices.Clone(want)
	slices.Reverse(got)
	got = uniqueVRPs(append(got, want[0]))
	if !slices.Equal(got, want) {
		t.Errorf("order:\n%v\nwant\n%v", got, want)
	}
}

// TestKeyCache fills a cache file with constant keys and a torn tail, and
// checks that opening it keeps the keys, in order, and cuts the tail.
func TestKeyCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.der")
	var data []byte
	for i := range 3 {
		data = append(data, x509.MarshalPKCS1PrivateKey(objecttest.Key(i))...)
	}
	good := len(data)
	data = append(data, x509.MarshalPKCS1PrivateKey(objecttest.Key(3))[:100]...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	kc, generated, err := openKeyCache(path, 3, 1)
	if err != nil || generated != 0 {
		t.Fatalf("openKeyCache: %d generated, %v", generated, err)
	}
	for i := range 3 {
		k, err := kc.Key(i)
		if err != nil || !k.Equal(objecttest.Key(i)) {
			t.Errorf("key %d: %v", i, err)
		}
	}
	if _, err := kc.Key(3); err == nil {
		t.Error("key 3 of a 3-key cache: no error")
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != int64(good) {
		t.Errorf("torn tail not cut: %v", err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readXML(t *testing.T, path string, v any) {
	t.Helper()
	if err := xml.Unmarshal(readFile(t, path), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// resString prints resources for an error message.
func resString(r object.Resources) string {
	var parts []string
	for _, s := range []*object.IPSet{r.IPv4, r.IPv6} {
		if s == nil {
			continue
		}
		if s.Inherit {
			parts = append(parts, "inherit")
		}
		for _, x := range s.Ranges {
			parts = append(parts, x.String())
		}
	}
	if r.AS != nil {
		if r.AS.Inherit {
			parts = append(parts, "AS inherit")
		}
		for _, x := range r.AS.Ranges {
			parts = append(parts, x.String())
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestDistinctEE builds a small world with a key per EE certificate and
// checks that no two certificates share a key.
func TestDistinctEE(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CAs, cfg.ROAs, cfg.ASPAs, cfg.Routers = 5, 12, 2, 0
	cfg.DistinctEE, cfg.Keys, cfg.Out = true, testKeys{}, t.TempDir()
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	p := newPlan(cfg)
	if n := p.keysNeeded(); n > objecttest.NumKeys-eeKeyPool {
		t.Fatalf("world needs %d keys, more than the constant keys", n)
	}
	if _, err := build(cfg, p); err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{}
	filepath.WalkDir(filepath.Join(cfg.Out, "rsync"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".crl") {
			return err
		}
		_, val, err := object.Decode(path, readFile(t, path))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var ski []byte
		switch o := val.(type) {
		case *object.Cert:
			ski = o.SKI
		case *object.Manifest:
			ski = o.Signed.EE.SKI
		case *object.ROA:
			ski = o.Signed.EE.SKI
		case *object.ASPA:
			ski = o.Signed.EE.SKI
		case *object.GBR:
			ski = o.Signed.EE.SKI
		}
		if prev, ok := owner[string(ski)]; ok {
			t.Errorf("%s and %s share the key %X", prev, path, ski)
		}
		owner[string(ski)] = path
		return nil
	})
	if len(owner) != p.keysNeeded() {
		t.Errorf("%d distinct keys in use, want %d", len(owner), p.keysNeeded())
	}
}

// Every repository is a module of its own in its host's rsyncd
// configuration, whose path holds exactly that repository's publication
// points; the "ta" module holds the TA certificates.
func TestRsyncModules(t *testing.T) {
	cfg, w := buildTiny(t)
	modules := map[string]string{} // rsync://host:port/module/ -> path
	for h := range cfg.Hosts {
		conf := string(readFile(t, filepath.Join(cfg.Out, "serve", "rsyncd-"+host(h)+".conf")))
		var name string
		for _, line := range strings.Split(conf, "\n") {
			line = strings.TrimSpace(line)
			if m, ok := strings.CutPrefix(line, "["); ok {
				name = strings.TrimSuffix(m, "]")
			}
			if p, ok := strings.CutPrefix(line, "path = "); ok {
				modules[fmt.Sprintf("rsync://%s:%d/%s/", host(h), cfg.RsyncPort, name)] = p
			}
		}
	}
	for _, r := range w.Repositories {
		dir, ok := modules[r.RsyncBase]
		if !ok {
			t.Errorf("%s: no module %s in %v", r.Name, r.RsyncBase, modules)
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != r.CAs {
			t.Errorf("%s: module %s holds %d entries (%v), want its %d publication points", r.Name, dir, len(entries), err, r.CAs)
		}
	}
	for _, ta := range w.TAs {
		for _, u := range ta.URIs {
			if rest, ok := strings.CutPrefix(u, "rsync://"); ok {
				hostPort, file, _ := strings.Cut(rest, "/ta/")
				dir, ok := modules["rsync://"+hostPort+"/ta/"]
				if _, err := os.Stat(filepath.Join(dir, file)); !ok || err != nil {
					t.Errorf("%s: %s not in a module ta (%v)", ta.Name, u, err)
				}
			}
		}
	}
}
