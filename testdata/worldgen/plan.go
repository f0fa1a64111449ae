package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
)

// plan is the shape of a world, fixed from the seed before any key is
// used: the tree, the repositories, every CA's resources and how many
// objects of each kind it publishes. Building then only signs.
type plan struct {
	cfg     *Config
	repos   []repo
	cas     []caPlan // TAs first, then CAs ordered by depth; the index is the key index
	taNames []string
	eeKeys  int // EE keys needed with DistinctEE
}

// caPlan is one TA or CA of the plan.
type caPlan struct {
	parent   int // index in plan.cas; -1 for a TA
	depth    int // 0 for a TA
	ta       int
	repo     int // where it publishes
	children []int

	v4, v6 netip.Prefix // held resources, carved from the parent's
	as     asRange
	// own4, own6 and ownAS are the piece of the resources that the CA's
	// own ROAs, ASPAs and router certificates use; the children have the
	// other pieces.
	own4, own6 netip.Prefix
	ownAS      asRange

	inheritIP, inheritAS bool

	roas, aspas, routers int
	gbr                  bool
	eeBase               int // its first EE key, counted from the end of the CA keys
	routerBase           int // its first router certificate in the whole world
}

// payloads is the number of objects that need the CA's own resources.
func (c *caPlan) payloads() int { return c.roas + c.aspas + c.routers }

// eeCount is the number of EE certificates the CA issues: one per signed
// object and one for its manifest.
func (c *caPlan) eeCount() int {
	n := c.roas + c.aspas + 1
	if c.gbr {
		n++
	}
	return n
}

// The roots the TAs split among themselves. AS0 and AS4294967295 stay
// out, so that no CA gets one of them as its only number.
var (
	root4  = netip.MustParsePrefix("0.0.0.0/0")
	root6  = netip.MustParsePrefix("2000::/3")
	rootAS = asRange{1, math.MaxUint32 - 1}
)

// newPlan draws the plan of cfg from cfg.Seed.
func newPlan(cfg *Config) *plan {
	p := &plan{cfg: cfg}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x706c616e))
	for k := range cfg.Repos {
		p.repos = append(p.repos, newRepo(cfg, k))
	}
	width := len(fmt.Sprint(cfg.TAs))
	for i := range cfg.TAs {
		p.taNames = append(p.taNames, fmt.Sprintf("ta%0*d", width, i+1))
	}
	p.growTree(rng)
	p.countObjects(rng)
	p.carveResources(rng)
	p.placeRepos(rng)
	p.number()
	return p
}

// keysNeeded is the number of keys the world takes from Config.Keys.
func (p *plan) keysNeeded() int {
	if p.cfg.DistinctEE {
		return len(p.cas) + p.eeKeys
	}
	return len(p.cas)
}

// growTree adds the TAs, one level-1 CA under each (like an RIR's
// production CA), and the other CAs at random levels: most at level 2,
// fewer the deeper the level. Level-2 CAs favour the first TAs.
func (p *plan) growTree(rng *rand.Rand) {
	cfg := p.cfg
	for i := range cfg.TAs {
		p.cas = append(p.cas, caPlan{parent: -1, ta: i})
	}
	levels := [][]int{nil}
	for i := range cfg.TAs {
		levels[0] = append(levels[0], i)
	}
	depths := make([]int, cfg.CAs-cfg.TAs)
	for k := range depths {
		depths[k] = drawDepth(rng, cfg.Depth)
	}
	slices.Sort(depths)
	for _, d := range append(slices.Repeat([]int{1}, cfg.TAs), depths...) {
		for len(levels) <= d-1 || len(levels[d-1]) == 0 {
			d-- // a level with no CA yet cannot be a parent level
		}
		parent := p.pickParent(rng, levels[d-1], d)
		idx := len(p.cas)
		p.cas = append(p.cas, caPlan{parent: parent, depth: d, ta: p.cas[parent].ta})
		p.cas[parent].children = append(p.cas[parent].children, idx)
		if len(levels) == d {
			levels = append(levels, nil)
		}
		levels[d] = append(levels[d], idx)
	}
}

// pickParent chooses the parent of a new CA at level d among the CAs of
// level d-1; the first cfg.TAs CAs of level 1 go one to each TA.
func (p *plan) pickParent(rng *rand.Rand, candidates []int, d int) int {
	if d == 1 && len(p.cas) < 2*p.cfg.TAs {
		return len(p.cas) - p.cfg.TAs
	}
	if d > 2 {
		return candidates[rng.IntN(len(candidates))]
	}
	// Levels 1 and 2: TA i has weight TAs-i, so the trust anchors differ in size.
	total := 0
	for _, c := range candidates {
		total += p.cfg.TAs - p.cas[c].ta
	}
	x := rng.IntN(total)
	for _, c := range candidates {
		x -= p.cfg.TAs - p.cas[c].ta
		if x < 0 {
			return c
		}
	}
	return candidates[len(candidates)-1]
}

// depthWeights are the shares of the CAs beyond the first level at levels
// 2, 3, 4, ...; the last weight repeats.
var depthWeights = []float64{0.78, 0.12, 0.05, 0.03, 0.02, 0.01}

// drawDepth draws the level of a CA beyond the first ones, up to max.
func drawDepth(rng *rand.Rand, max int) int {
	if max == 1 {
		return 1
	}
	weight := func(d int) float64 { return depthWeights[min(d-2, len(depthWeights)-1)] }
	total := 0.0
	for d := 2; d <= max; d++ {
		total += weight(d)
	}
	x := rng.Float64() * total
	for d := 2; d < max; d++ {
		if x -= weight(d); x < 0 {
			return d
		}
	}
	return max
}

// countObjects spreads the ROAs over the CAs with a heavy tail (a few CAs
// hold many), and the ASPAs, router certificates and Ghostbusters records
// evenly. TAs publish only CA certificates; level-1 CAs few ROAs.
func (p *plan) countObjects(rng *rand.Rand) {
	cfg := p.cfg
	first := cfg.TAs // CAs only
	n := len(p.cas) - first
	cum := make([]float64, n)
	total := 0.0
	for k := range n {
		w := math.Exp(1.3 * rng.NormFloat64())
		if p.cas[first+k].depth == 1 {
			w *= 0.05
		}
		total += w
		cum[k] = total
	}
	for range cfg.ROAs {
		k, _ := slices.BinarySearch(cum, rng.Float64()*total)
		p.cas[first+min(k, n-1)].roas++
	}
	for range cfg.ASPAs {
		p.cas[first+rng.IntN(n)].aspas++
	}
	for range cfg.Routers {
		p.cas[first+rng.IntN(n)].routers++
	}
	for k := first; k < len(p.cas); k++ {
		p.cas[k].gbr = rng.Float64() < cfg.GBRShare
	}
}

// carveResources gives each TA an equal share of the roots and each CA
// an equal piece of its parent's resources, keeping one more piece for
// the parent's own objects when it has any. The parents come first in
// p.cas, so one pass suffices. With InheritCA some CAs below level 1
// mark a family inherit in their certificate; the pieces stay the same,
// so their children and objects are still covered.
func (p *plan) carveResources(rng *rand.Rand) {
	b := splitBits(p.cfg.TAs)
	for i := range p.cfg.TAs {
		ta := &p.cas[i]
		ta.v4, ta.v6, ta.as = carve(root4, b, i), carve(root6, b, i), rootAS.carve(b, i)
	}
	for i := range p.cas {
		c := &p.cas[i]
		pieces := len(c.children)
		if c.payloads() > 0 {
			pieces++
		}
		b := splitBits(pieces)
		for j, child := range c.children {
			ch := &p.cas[child]
			ch.v4, ch.v6, ch.as = carve(c.v4, b, j), carve(c.v6, b, j), c.as.carve(b, j)
		}
		c.own4, c.own6, c.ownAS = carve(c.v4, b, pieces-1), carve(c.v6, b, pieces-1), c.as.carve(b, pieces-1)
		// Drawn for every CA, so that -inherit-ca changes nothing else.
		inheritAS, inheritIP := rng.Float64() < 0.10, rng.Float64() < 0.05
		if p.cfg.InheritCA && c.depth >= 2 {
			c.inheritAS, c.inheritIP = inheritAS, inheritIP
		}
	}
}

// placeRepos puts each TA in its own repository and its level-1 CA with
// it; deeper CAs mostly stay in their parent's repository (hosted CAs),
// the others run a delegated repository of their own.
func (p *plan) placeRepos(rng *rand.Rand) {
	delegated := p.cfg.Repos - p.cfg.TAs
	for i := range p.cas {
		c := &p.cas[i]
		switch {
		case c.parent < 0:
			c.repo = c.ta
		case c.depth == 1:
			c.repo = p.cas[c.parent].repo
		default:
			c.repo = p.cas[c.parent].repo
			stay := 0.8
			if c.repo < p.cfg.TAs {
				stay = 0.7
			}
			if move := rng.Float64() >= stay; move && delegated > 0 {
				c.repo = p.cfg.TAs + rng.IntN(delegated)
			}
		}
		p.repos[c.repo].CAs++
	}
}

// number gives each CA its first EE key and router certificate.
func (p *plan) number() {
	ee, routers := 0, 0
	for i := range p.cas {
		c := &p.cas[i]
		c.eeBase, c.routerBase = ee, routers
		ee += c.eeCount()
		routers += c.routers
	}
	p.eeKeys = ee
}
