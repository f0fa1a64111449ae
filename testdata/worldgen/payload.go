package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// vrp is one Validated ROA Payload as a validator should output it.
type vrp struct {
	asn    uint32
	prefix netip.Prefix
	maxLen int
	ta     int
}

// vap is one ASPA as written: a customer and its providers, sorted.
type vap struct {
	customer  uint32
	providers []uint32
}

// routerKey is one BGPsec router key as a validator should output it.
type routerKey struct {
	asn  uint32
	ski  string // upper-case hex
	spki string // base64 of the DER SubjectPublicKeyInfo
	ta   int
}

// payloads signs and writes the ROAs, ASPAs, router certificates and
// Ghostbusters record of CA idx, drawing their contents from rng.
func (b *builder) payloads(rng *rand.Rand, idx int, iss *objecttest.Issuer, pp *pubPoint, res *caResult) error {
	c := &b.p.cas[idx]
	if c.payloads() == 0 && !c.gbr {
		return nil
	}
	// A CA originates routes from a few AS numbers of its own.
	asns := make([]uint32, 1+rng.IntN(3))
	for i := range asns {
		asns[i] = c.ownAS.random(rng)
	}
	k := 1 // EE key 0 is the manifest's
	for range c.roas {
		spec := b.roaSpec(rng, c, asns)
		ee, err := b.eeSpec(idx, k, iss, ".roa")
		if err != nil {
			return err
		}
		spec.EE, k = ee, k+1
		if err := pp.add(iss.ROA(spec)); err != nil {
			return err
		}
		res.n.ROAs++
		for _, pfx := range spec.Prefixes {
			p := netip.MustParsePrefix(pfx.Prefix)
			res.vrps = append(res.vrps, vrp{uint32(spec.ASID), p, max(pfx.MaxLength, p.Bits()), c.ta})
		}
	}
	for range c.aspas {
		spec := b.aspaSpec(rng, c)
		ee, err := b.eeSpec(idx, k, iss, ".asa")
		if err != nil {
			return err
		}
		spec.EE, k = ee, k+1
		if err := pp.add(iss.ASPA(spec)); err != nil {
			return err
		}
		res.n.ASPAs++
		v := vap{customer: uint32(spec.Customer)}
		for _, p := range spec.Providers {
			v.providers = append(v.providers, uint32(p))
		}
		res.aspas = append(res.aspas, v)
	}
	if c.gbr {
		ee, err := b.eeSpec(idx, k, iss, ".gbr")
		if err != nil {
			return err
		}
		vcard := fmt.Sprintf("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Operator of CA %d\r\nORG:Example %d\r\n"+
			"EMAIL:noc%d@example.net\r\nEND:VCARD\r\n", idx, idx, idx)
		if err := pp.add(iss.GBR(objecttest.GBRSpec{VCard: vcard, EE: ee})); err != nil {
			return err
		}
		res.n.GBRs++
	}
	for r := range c.routers {
		asn := asns[rng.IntN(len(asns))]
		key := routerECKey(b.cfg.Seed, c.routerBase+r)
		o := iss.Router(objecttest.RouterSpec{
			AS:   []string{"AS" + strconv.FormatUint(uint64(asn), 10)},
			Key:  key,
			Cert: objecttest.CertSpec{NotBefore: b.notBefore, NotAfter: b.notAfter},
		})
		if err := pp.add(o); err != nil {
			return err
		}
		res.n.Routers++
		spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			return err
		}
		res.routers = append(res.routers, routerKey{asn, hexID(o.SKI), base64.StdEncoding.EncodeToString(spki), c.ta})
	}
	return nil
}

// roaSpec draws a ROA of CA c: an origin from asns and one to five
// distinct prefixes from the CA's own piece, about two in three IPv4, with
// a maxLength equal to the prefix length more often than not.
func (b *builder) roaSpec(rng *rand.Rand, c *caPlan, asns []uint32) objecttest.ROASpec {
	spec := objecttest.ROASpec{ASID: int64(asns[rng.IntN(len(asns))])}
	n := []int{1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 5}[rng.IntN(11)]
	seen := map[netip.Prefix]bool{}
	for range n {
		var p netip.Prefix
		var maxLen, spread int
		if rng.IntN(3) < 2 {
			p = randomSubprefix(rng, c.own4, 16+rng.IntN(9))
			spread = 8
		} else {
			p = randomSubprefix(rng, c.own6, 29+rng.IntN(20))
			spread = 16
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		// Equal to the prefix length: written out or left to the default.
		maxLen = []int{0, p.Bits()}[rng.IntN(2)]
		if room := p.Addr().BitLen() - p.Bits(); room > 0 && rng.IntN(5) < 2 {
			maxLen = p.Bits() + 1 + rng.IntN(min(spread, room))
		}
		spec.Prefixes = append(spec.Prefixes, objecttest.ROAPrefix{Prefix: p.String(), MaxLength: maxLen})
	}
	return spec
}

// aspaSpec draws an ASPA of CA c: a customer from its own AS numbers and
// one to four transit providers, sorted and unique as the profile wants.
func (b *builder) aspaSpec(rng *rand.Rand, c *caPlan) objecttest.ASPASpec {
	customer := c.ownAS.random(rng)
	var providers []int64
	for len(providers) == 0 {
		for range 1 + rng.IntN(4) {
			if p := b.transit[rng.IntN(len(b.transit))]; p != customer {
				providers = append(providers, int64(p))
			}
		}
	}
	slices.Sort(providers)
	return objecttest.ASPASpec{Customer: int64(customer), Providers: slices.Compact(providers)}
}

// transitASNs are 48 AS numbers below 64512, the transit networks of the
// world, drawn from the seed.
func transitASNs(seed uint64) []uint32 {
	rng := rand.New(rand.NewPCG(seed, 0x7472616e))
	asns := make([]uint32, 48)
	for i := range asns {
		asns[i] = 1 + uint32(rng.IntN(64511))
	}
	return asns
}

// routerECKey derives the P-256 key of router certificate i of the world
// from the seed: Go's key generation is randomised whatever reader it is
// given, and the world must not depend on the run.
func routerECKey(seed uint64, i int) *ecdsa.PrivateKey {
	for try := uint64(0); ; try++ {
		var in [24]byte
		binary.BigEndian.PutUint64(in[0:], seed)
		binary.BigEndian.PutUint64(in[8:], uint64(i))
		binary.BigEndian.PutUint64(in[16:], try)
		d := sha256.Sum256(append([]byte("worldgen router key "), in[:]...))
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:]); err == nil {
			return k
		}
	}
}
