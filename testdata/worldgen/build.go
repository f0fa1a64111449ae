package main

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// builder signs and writes the objects of a plan. Its fields are read-only
// once building starts; every CA job owns what it creates.
type builder struct {
	cfg                 *Config
	p                   *plan
	notBefore, notAfter time.Time
	transit             []uint32 // the AS numbers ASPAs name as providers
	log                 io.Writer
}

// node is a CA whose certificate exists and whose publication point is
// still to be built.
type node struct {
	idx int
	iss *objecttest.Issuer
}

// caResult is what one CA job returns to the coordinator.
type caResult struct {
	idx      int
	children []node
	vrps     []vrp
	aspas    []vap
	routers  []routerKey
	n        objectCounts
	err      error
}

// objectCounts counts what a job wrote.
type objectCounts struct {
	Files   int64 `json:"files"`
	Bytes   int64 `json:"bytes"`
	Certs   int   `json:"ca_certificates"`
	ROAs    int   `json:"roas"`
	ASPAs   int   `json:"aspas"`
	Routers int   `json:"router_certificates"`
	GBRs    int   `json:"ghostbusters"`
	Mfts    int   `json:"manifests"`
	CRLs    int   `json:"crls"`
}

func (c *objectCounts) add(o objectCounts) {
	c.Files += o.Files
	c.Bytes += o.Bytes
	c.Certs += o.Certs
	c.ROAs += o.ROAs
	c.ASPAs += o.ASPAs
	c.Routers += o.Routers
	c.GBRs += o.GBRs
	c.Mfts += o.Mfts
	c.CRLs += o.CRLs
}

// build writes the world of plan p into cfg.Out.
func build(cfg *Config, p *plan) (*world, error) {
	return buildLog(cfg, p, io.Discard)
}

// buildLog is build with progress lines on log.
func buildLog(cfg *Config, p *plan, log io.Writer) (*world, error) {
	b := &builder{
		cfg: cfg, p: p, log: log,
		notBefore: cfg.Now.Add(-24 * time.Hour),
		notAfter:  cfg.Now.Add(cfg.Validity),
		transit:   transitASNs(cfg.Seed),
	}
	w := newWorld(cfg, p)
	start := time.Now()
	roots, err := b.trustAnchors(w)
	if err != nil {
		return nil, err
	}
	out, err := b.walk(roots, w)
	if err != nil {
		return nil, err
	}
	w.objectTime = time.Since(start)
	start = time.Now()
	if err := writeRRDP(cfg, p.repos); err != nil {
		return nil, err
	}
	w.rrdpTime = time.Since(start)
	if err := w.finish(cfg, p, out); err != nil {
		return nil, err
	}
	return w, nil
}

// collected is what the walk gathers from all jobs.
type collected struct {
	vrps    []vrp
	aspas   []vap
	routers []routerKey
}

// walk runs one job per CA on cfg.Workers goroutines. Only this goroutine
// touches the stack and the collected results; a job owns only the CA it
// was given. Depth first, so few built CAs wait for their turn.
func (b *builder) walk(roots []node, w *world) (*collected, error) {
	results := make(chan caResult)
	stack := slices.Clone(roots)
	slices.Reverse(stack)
	running, done := 0, 0
	var out collected
	var firstErr error
	next := len(b.p.cas) / 10
	for len(stack) > 0 || running > 0 {
		for len(stack) > 0 && running < b.cfg.Workers && firstErr == nil {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			running++
			go func() { results <- b.caJob(n) }()
		}
		if running == 0 {
			break
		}
		r := <-results
		running--
		if r.err != nil {
			if firstErr == nil {
				firstErr = r.err
			}
			continue
		}
		done++
		if done >= next && len(b.p.cas) >= 1000 {
			fmt.Fprintf(b.log, "worldgen: %d of %d CAs built\n", done, len(b.p.cas))
			next += len(b.p.cas) / 10
		}
		w.add(b.p.cas[r.idx].repo, r.n)
		out.vrps = append(out.vrps, r.vrps...)
		out.aspas = append(out.aspas, r.aspas...)
		out.routers = append(out.routers, r.routers...)
		for i := len(r.children) - 1; i >= 0; i-- {
			stack = append(stack, r.children[i])
		}
	}
	return &out, firstErr
}

// trustAnchors builds the TA certificates and TALs.
func (b *builder) trustAnchors(w *world) ([]node, error) {
	if err := os.MkdirAll(filepath.Join(b.cfg.Out, "tals"), 0o755); err != nil {
		return nil, err
	}
	var roots []node
	for i, name := range b.p.taNames {
		key, err := b.cfg.Keys.Key(i)
		if err != nil {
			return nil, err
		}
		r := &b.p.repos[b.p.cas[i].repo]
		spec := b.caSpec(i, key)
		spec.URI = "rsync://" + r.rsyncHost + "/ta/" + name + ".cer"
		ta := objecttest.NewKeySource(0).NewTA(spec)
		httpsURI := "https://" + r.httpsHost + "/ta/" + name + ".cer"
		for _, u := range []string{spec.URI, httpsURI} {
			if err := writeFile(uriPath(b.cfg.Out, u), ta.DER); err != nil {
				return nil, err
			}
		}
		tal := objecttest.TAL([]string{httpsURI, spec.URI}, ta.SPKI())
		talPath := filepath.Join(b.cfg.Out, "tals", name+".tal")
		if err := writeFile(talPath, tal); err != nil {
			return nil, err
		}
		w.addTA(name, talPath, httpsURI, spec.URI, len(ta.DER))
		ta.DER, ta.X509 = nil, nil
		roots = append(roots, node{i, ta})
	}
	return roots, nil
}

// caSpec is the certificate of CA idx with the given key.
func (b *builder) caSpec(idx int, key *rsa.PrivateKey) objecttest.CertSpec {
	c := &b.p.cas[idx]
	r := &b.p.repos[c.repo]
	spec := objecttest.CertSpec{
		Key:       key,
		NotBefore: b.notBefore,
		NotAfter:  b.notAfter,
		Repo:      r.RsyncBase + hexID(keyID(&key.PublicKey)) + "/",
		IP:        []string{c.v4.String(), c.v6.String()},
		AS:        []string{c.as.String()},
	}
	if r.Notify != "" {
		spec.Notify = r.Notify
	} else {
		spec.NoNotify = true
	}
	if c.inheritIP {
		spec.IP = []string{"inherit"}
	}
	if c.inheritAS {
		spec.AS = []string{"inherit"}
	}
	return spec
}

// caJob builds the publication point of one CA: the certificates of its
// children, its own objects, its CRL and its manifest, each written to
// disk as soon as it is signed.
func (b *builder) caJob(n node) caResult {
	res := caResult{idx: n.idx}
	c := &b.p.cas[n.idx]
	iss := n.iss
	pp := &pubPoint{dir: uriPath(b.cfg.Out, iss.Repo), n: &res.n}
	if err := os.MkdirAll(pp.dir, 0o755); err != nil {
		res.err = err
		return res
	}
	for _, ch := range c.children {
		key, err := b.cfg.Keys.Key(ch)
		if err != nil {
			res.err = err
			return res
		}
		child := iss.CA(b.caSpec(ch, key))
		if err := pp.add(child.Object); err != nil {
			res.err = err
			return res
		}
		res.n.Certs++
		child.DER, child.X509 = nil, nil // only the key and names are needed from here
		res.children = append(res.children, node{ch, child})
	}
	rng := rand.New(rand.NewPCG(b.cfg.Seed, uint64(n.idx)+1<<32))
	if err := b.payloads(rng, n.idx, iss, pp, &res); err != nil {
		res.err = err
		return res
	}
	res.err = b.finishPoint(rng, n.idx, iss, pp)
	return res
}

// finishPoint adds the CRL and writes the manifest listing every file of
// the publication point.
func (b *builder) finishPoint(rng *rand.Rand, idx int, iss *objecttest.Issuer, pp *pubPoint) error {
	number := 1 + rng.Int64N(1000)
	var revoked []int64
	if rng.IntN(10) == 0 {
		// Serials this CA never used, as a CA that revoked objects since deleted would list.
		for range 1 + rng.IntN(3) {
			revoked = append(revoked, 1_000_000+rng.Int64N(1_000_000))
		}
	}
	crl := iss.CRL(objecttest.CRLSpec{Number: number, ThisUpdate: b.notBefore, NextUpdate: b.notAfter, Revoked: revoked})
	if err := pp.add(crl); err != nil {
		return err
	}
	pp.n.CRLs++
	key, err := b.eeKey(idx, 0)
	if err != nil {
		return err
	}
	slices.SortFunc(pp.entries, func(a, b objecttest.FileHash) int { return strings.Compare(a.Name, b.Name) })
	mft := iss.Manifest(objecttest.MftSpec{
		Number: number, ThisUpdate: b.notBefore, NextUpdate: b.notAfter,
		Entries: pp.entries, EE: objecttest.CertSpec{Key: key},
	})
	pp.n.Mfts++
	return pp.write(mft)
}

// eeKey is the key of the k-th EE certificate of CA idx; k = 0 is its
// manifest's.
func (b *builder) eeKey(idx, k int) (*rsa.PrivateKey, error) {
	j := b.p.cas[idx].eeBase + k
	if b.cfg.DistinctEE {
		return b.cfg.Keys.Key(len(b.p.cas) + j)
	}
	return b.cfg.EEKey(j), nil
}

// eeSpec is the EE certificate of the k-th signed object of CA idx, a
// file with extension ext in the publication point of iss. With shared
// EE keys the SKI cannot name the file, so a hash of the CA's SKI, the
// type and k does.
func (b *builder) eeSpec(idx, k int, iss *objecttest.Issuer, ext string) (objecttest.CertSpec, error) {
	key, err := b.eeKey(idx, k)
	if err != nil {
		return objecttest.CertSpec{}, err
	}
	h := sha1.Sum(fmt.Appendf(nil, "%x %s %d", iss.SKI, ext, k))
	return objecttest.CertSpec{
		Key: key, URI: iss.Repo + hexID(h[:]) + ext,
		NotBefore: b.notBefore, NotAfter: b.notAfter,
	}, nil
}

// pubPoint writes the files of one publication point and remembers their
// names and hashes for the manifest.
type pubPoint struct {
	dir     string
	entries []objecttest.FileHash
	n       *objectCounts
}

// add writes o and lists it on the manifest.
func (pp *pubPoint) add(o objecttest.Object) error {
	h := sha256.Sum256(o.DER)
	pp.entries = append(pp.entries, objecttest.FileHash{Name: o.Name, Hash: h[:]})
	return pp.write(o)
}

// write writes o into the publication point.
func (pp *pubPoint) write(o objecttest.Object) error {
	if strings.ContainsAny(o.Name, "/\\") {
		return fmt.Errorf("worldgen: bad file name %q", o.Name)
	}
	pp.n.Files++
	pp.n.Bytes += int64(len(o.DER))
	return os.WriteFile(filepath.Join(pp.dir, o.Name), o.DER, 0o644)
}

// writeFile writes data to path, creating its directory.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// keyID is the RFC 6487 §4.8.2 key identifier: the SHA-1 hash of the
// subjectPublicKey BIT STRING of the key's SubjectPublicKeyInfo.
func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("worldgen: " + err.Error())
	}
	s := cryptobyte.String(der)
	var spki, algo cryptobyte.String
	var bits []byte
	if !s.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.ReadASN1(&algo, cbasn1.SEQUENCE) ||
		!spki.ReadASN1BitStringAsBytes(&bits) {
		panic("worldgen: cannot read a SubjectPublicKeyInfo crypto/x509 wrote")
	}
	h := sha1.Sum(bits)
	return h[:]
}

// hexID is an identifier in upper-case hex, as objecttest names files.
func hexID(id []byte) string { return strings.ToUpper(hex.EncodeToString(id)) }
