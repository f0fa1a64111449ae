package validate

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/tally-rpki/tally/validate/object"
)

// maxRouterASNs bounds the router keys one router certificate gives: an
// AS range in one would otherwise let a single file make billions.
const maxRouterASNs = 1024

// object validates one listed file whose hash (sum) matched, counts it
// and collects its payloads or, for a CA certificate, the child CA.
func (p *point) object(uri string, data []byte, sum [sha256.Size]byte) error {
	switch object.Detect(uri, data) {
	case object.TypeCert:
		return p.cert(uri, data, sum)
	case object.TypeROA:
		return p.roa(uri, data, sum)
	case object.TypeASPA:
		return p.aspa(uri, data, sum)
	case object.TypeGBR:
		return p.gbr(uri, data, sum)
	case object.TypeTAK:
		return p.tak(uri, data, sum)
	}
	p.res.unknown++
	p.warn(fmt.Sprintf("%s: unknown or unexpected object type, skipped", uri))
	return nil
}

// checkSigned checks a signed object's EE certificate against the point's
// CA and CRL and the object's own signature (RFC 6488 §3), and returns the
// EE's effective resources and the payload's expiry. sum is the SHA-256
// of the file.
func (p *point) checkSigned(uri string, so *object.SignedObject, sum [sha256.Size]byte) (object.Resources, time.Time, error) {
	var none object.Resources
	ee := so.EE
	sigs := p.k.memo.forFile(sum, p.iss.spkiSum)
	if err := p.k.checkIssued(ee, uri, &p.iss, object.KindEE, &sigs); err != nil {
		return none, time.Time{}, err
	}
	if ee.SignedObject != uri {
		return none, time.Time{}, invalid("RFC 6487 §4.8.8.2", "signedObject %q, but found at %q", ee.SignedObject, uri)
	}
	if err := so.CheckDigest(); err != nil {
		return none, time.Time{}, invalidBy("RFC 6488 §3", "CMS signature", err)
	}
	if err := sigs.check(verifyWith(ee), so.SignedAttrs, so.Signature); err != nil {
		return none, time.Time{}, invalidBy("RFC 6488 §3", "CMS signature", fmt.Errorf("signerInfo: %w", err))
	}
	sigs.verified()
	res, warns, err := p.k.resources(ee, uri, p.iss.ca)
	if err != nil {
		return none, time.Time{}, err
	}
	for _, w := range warns {
		p.warn(w)
	}
	return res, earliest(p.iss.expires, ee.NotAfter), nil
}

// cert handles a certificate file: a CA certificate becomes a child CA,
// a BGPsec router certificate gives router keys.
func (p *point) cert(uri string, data []byte, sum [sha256.Size]byte) error {
	// The certificate outlives the point's job (a CA is visited later, a
	// router certificate's key is output), and its fields alias the
	// bytes it is parsed from, which a Prefetcher reuses after the job.
	data = bytes.Clone(data)
	c, err := object.ParseCert(data)
	if err != nil {
		return p.reject(uri, KindCert, err)
	}
	if c.Kind == object.KindRouter {
		return p.router(uri, c, sum)
	}
	ca, warns, err := p.k.validateCA(c, sum, uri, &p.iss)
	if err != nil {
		if c.Kind == object.KindCA {
			p.res.rejected = append(p.res.rejected, c.Resources.Resolve(p.iss.ca.Resources))
		}
		return p.reject(uri, KindCert, err)
	}
	for _, w := range warns {
		p.warn(w)
	}
	p.accept(KindCert)
	p.res.children = append(p.res.children, ca)
	return nil
}

// roa turns a ROA into VRPs. Every prefix must lie in the EE's effective
// resources (RFC 9582 §5). Under OverclaimTrim, where those resources may
// have been cut down, a prefix outside them is dropped with a warning and
// the others are kept.
func (p *point) roa(uri string, data []byte, sum [sha256.Size]byte) error {
	roa, err := object.ParseROA(data)
	if err != nil {
		return p.reject(uri, KindROA, err)
	}
	res, expires, err := p.checkSigned(uri, roa.Signed, sum)
	if err != nil {
		return p.reject(uri, KindROA, err)
	}
	if roa.Signed.EE.Resources.AS != nil {
		return p.reject(uri, KindROA, invalid("RFC 9582 §5", "EE certificate has AS resources"))
	}
	// The VRPs go straight into the point's, taken back if a later
	// prefix rejects the ROA.
	kept := len(p.res.vrps)
	for _, rp := range roa.Prefixes {
		if rp.MaxLength < rp.Prefix.Bits() || rp.MaxLength > rp.Prefix.Addr().BitLen() {
			p.res.vrps = p.res.vrps[:kept]
			return p.reject(uri, KindROA, invalid("RFC 9582 §4.3.2", "maxLength %d for %s", rp.MaxLength, rp.Prefix))
		}
		if !res.CoversPrefix(rp.Prefix) {
			err := invalid("RFC 9582 §5", "prefix %s outside the EE certificate's resources", rp.Prefix)
			if p.k.overclaim == OverclaimReject {
				p.res.vrps = p.res.vrps[:kept]
				return p.reject(uri, KindROA, err)
			}
			p.warn(fmt.Sprintf("%s: RFC 8360 §4: VRP %s dropped, outside the trimmed resources", uri, rp.Prefix))
			continue
		}
		p.res.vrps = append(p.res.vrps, VRP{
			ASN:       roa.ASID,
			Prefix:    rp.Prefix,
			MaxLength: uint8(rp.MaxLength),
			TA:        p.iss.ca.TA,
			Expires:   expires.Unix(),
		})
	}
	p.accept(KindROA)
	return nil
}

// aspa turns an ASPA into a VAP. The customer must be the EE's only AS
// resource and the providers sorted, unique, without AS0 and without the
// customer (draft-ietf-sidrops-aspa-profile §3, §4).
func (p *point) aspa(uri string, data []byte, sum [sha256.Size]byte) error {
	const rule = "draft-ietf-sidrops-aspa-profile §4"
	a, err := object.ParseASPA(data)
	if err != nil {
		return p.reject(uri, KindASPA, err)
	}
	res, expires, err := p.checkSigned(uri, a.Signed, sum)
	if err != nil {
		return p.reject(uri, KindASPA, err)
	}
	if res.IPv4 != nil || res.IPv6 != nil || res.AS == nil || len(res.AS.Ranges) != 1 ||
		res.AS.Ranges[0] != (object.ASRange{Min: a.Customer, Max: a.Customer}) {
		return p.reject(uri, KindASPA, invalid(rule, "EE resources are not exactly AS%d", a.Customer))
	}
	for i, pr := range a.Providers {
		switch {
		case pr == 0:
			return p.reject(uri, KindASPA, invalid(rule, "AS0 as a provider"))
		case pr == a.Customer:
			return p.reject(uri, KindASPA, invalid(rule, "customer AS%d is its own provider", pr))
		case i > 0 && a.Providers[i-1] >= pr:
			return p.reject(uri, KindASPA, invalid(rule, "providers not sorted and unique at AS%d", pr))
		}
	}
	p.accept(KindASPA)
	p.res.aspas = append(p.res.aspas, ASPA{
		Customer:  a.Customer,
		Providers: slices.Clone(a.Providers),
		TA:        p.iss.ca.TA,
		Expires:   expires.Unix(),
	})
	return nil
}

// router turns a BGPsec router certificate into router keys, one per AS
// number (RFC 8209 §3.1, RFC 8210 §5.10).
func (p *point) router(uri string, c *object.Cert, sum [sha256.Size]byte) error {
	sigs := p.k.memo.forFile(sum, p.iss.spkiSum)
	if err := p.k.checkIssued(c, uri, &p.iss, object.KindRouter, &sigs); err != nil {
		return p.reject(uri, KindRouterCert, err)
	}
	sigs.verified()
	res, warns, err := p.k.resources(c, uri, p.iss.ca)
	if err != nil {
		return p.reject(uri, KindRouterCert, err)
	}
	if res.IPv4 != nil || res.IPv6 != nil || res.AS == nil || len(res.AS.Ranges) == 0 {
		return p.reject(uri, KindRouterCert, invalid("RFC 8209 §3.1.3.5", "want AS resources only"))
	}
	var n uint64
	for _, r := range res.AS.Ranges {
		n += uint64(r.Max-r.Min) + 1
	}
	if n > maxRouterASNs {
		return p.reject(uri, KindRouterCert, invalid("RFC 8209 §3.1.3.5", "%d AS numbers, at most %d accepted", n, maxRouterASNs))
	}
	for _, w := range warns {
		p.warn(w)
	}
	expires := earliest(p.iss.expires, c.NotAfter).Unix()
	ski, spki := bytes.Clone(c.SKI), bytes.Clone(c.RawSPKI)
	for _, r := range res.AS.Ranges {
		for asn := uint64(r.Min); asn <= uint64(r.Max); asn++ {
			p.res.keys = append(p.res.keys, RouterKey{
				ASN: uint32(asn), SKI: ski, PublicKey: spki, TA: p.iss.ca.TA, Expires: expires,
			})
		}
	}
	p.accept(KindRouterCert)
	return nil
}

// gbr checks a Ghostbusters record; its contents are not used (RFC 6493).
func (p *point) gbr(uri string, data []byte, sum [sha256.Size]byte) error {
	g, err := object.ParseGBR(data)
	if err != nil {
		return p.reject(uri, KindGBR, err)
	}
	if _, _, err := p.checkSigned(uri, g.Signed, sum); err != nil {
		return p.reject(uri, KindGBR, err)
	}
	p.accept(KindGBR)
	return nil
}

// tak checks a TAK object: issued by a TA whose key is its current key
// (RFC 9691 §5).
func (p *point) tak(uri string, data []byte, sum [sha256.Size]byte) error {
	t, err := object.ParseTAK(data)
	if err != nil {
		return p.reject(uri, KindTAK, err)
	}
	if _, _, err := p.checkSigned(uri, t.Signed, sum); err != nil {
		return p.reject(uri, KindTAK, err)
	}
	if p.iss.ca.Depth != 0 || !bytes.Equal(t.Current.SPKI, p.iss.ca.Cert.RawSPKI) {
		return p.reject(uri, KindTAK, invalid("RFC 9691 §5", "current key is not the issuing TA's"))
	}
	p.accept(KindTAK)
	return nil
}
