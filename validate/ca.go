package validate

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tally-rpki/tally/cache"
	"github.com/tally-rpki/tally/validate/object"
)

// CA is a CA certificate that validated: the facts its publication point
// and its children need. It is built by validateTA or validateCA and never
// changed afterwards.
type CA struct {
	Cert *object.Cert // the certificate; its slices alias the file's bytes
	URI  string       // where the certificate was found
	TA   string       // name of the trust anchor above it
	// Resources are the effective resources: inherit resolved through
	// every level, and under OverclaimTrim cut down to the issuer's.
	Resources object.Resources
	Expires   time.Time // the earliest notAfter or nextUpdate on the chain
	Depth     int       // 0 for a TA certificate
	parent    *CA       // nil for a TA; for loop detection
	// talURIs are the URIs of a TA certificate's TAL. Its children's AIA
	// may name any of them: the one that served it may be an https one.
	talURIs []string
}

// checker holds what every check depends on besides the objects.
type checker struct {
	now       time.Time
	overclaim Overclaim
	maxDepth  int
	memo      *Memo // nil: every signature is verified
}

// issuing is what a publication point gives the objects in it: the CA,
// its current CRL, where that CRL was found, and the point's expiry (the
// CA's, the manifest's and the CRL's, whichever comes first).
type issuing struct {
	ca      *CA
	crl     *object.CRL // nil while the manifest's EE is checked
	crlURI  string
	expires time.Time
	key     *object.Key // the CA's key, prepared at its first RSA check
	// spki is the SHA-256 of the CA's SubjectPublicKeyInfo once
	// spkiSum has been called: the issuer of the point's memo entries.
	spki     [sha256.Size]byte
	haveSPKI bool
}

// spkiSum returns the SHA-256 of the CA's SubjectPublicKeyInfo, hashed
// once per point.
func (iss *issuing) spkiSum() [sha256.Size]byte {
	if !iss.haveSPKI {
		iss.spki, iss.haveSPKI = sha256.Sum256(iss.ca.Cert.RawSPKI), true
	}
	return iss.spki
}

// verify checks a signature by the CA over digest, with the CA's key
// prepared once for all the signatures of the point (an issuing belongs to
// one point job, so to one goroutine).
func (iss *issuing) verify(digest, sig []byte) error {
	if iss.key == nil {
		iss.key = object.PrepareKey(iss.ca.Cert.PublicKey())
	}
	return iss.key.CheckSignatureDigest(digest, sig)
}

// verifyWith is the verify function of c's key checking one signature.
// The key is built only when a signature is checked: the memo answers
// most.
func verifyWith(c *object.Cert) func(digest, sig []byte) error {
	return func(digest, sig []byte) error { return object.CheckSignatureDigest(c.PublicKey(), digest, sig) }
}

// validateTA checks a TA certificate fetched for a TAL (RFC 8630 §2.3,
// RFC 6487 §7.2) and returns its CA. sum is the SHA-256 of the file.
func (k *checker) validateTA(c *object.Cert, sum [sha256.Size]byte, uri, ta string, tal *object.TAL) (*CA, error) {
	if c.Kind != object.KindCA || !c.SelfSigned {
		return nil, invalid("RFC 8630 §2.3", "not a self-signed CA certificate")
	}
	if !bytes.Equal(c.RawSPKI, tal.SPKI) {
		return nil, invalid("RFC 8630 §2.3", "public key differs from the TAL's")
	}
	sigs := k.memo.forFile(sum, func() [sha256.Size]byte { return sha256.Sum256(c.RawSPKI) })
	if err := sigs.check(verifyWith(c), c.RawTBS, c.Signature); err != nil {
		return nil, invalidBy("RFC 6487 §7.2", "self-signature", err)
	}
	sigs.verified()
	if err := k.checkTime(c); err != nil {
		return nil, err
	}
	if err := checkSIA(c); err != nil {
		return nil, err
	}
	return &CA{Cert: c, URI: uri, TA: ta, Resources: c.Resources, Expires: c.NotAfter, talURIs: tal.URIs}, nil
}

// validateCA checks a CA certificate found at uri in the publication point
// of iss and returns the new CA. sum is the SHA-256 of the file. The
// warnings name trimmed resources under OverclaimTrim.
func (k *checker) validateCA(c *object.Cert, sum [sha256.Size]byte, uri string, iss *issuing) (*CA, []string, error) {
	sigs := k.memo.forFile(sum, iss.spkiSum)
	if err := k.checkIssued(c, uri, iss, object.KindCA, &sigs); err != nil {
		return nil, nil, err
	}
	sigs.verified()
	if iss.ca.Depth+1 > k.maxDepth {
		return nil, nil, invalid("RFC 6487 §7.2", "more than %d CA certificates below the TA", k.maxDepth)
	}
	for a := iss.ca; a != nil; a = a.parent {
		if bytes.Equal(a.Cert.SKI, c.SKI) {
			return nil, nil, invalid("RFC 6487 §7.2", "loop: key %X already on the chain at %s", c.SKI, a.URI)
		}
	}
	if err := checkSIA(c); err != nil {
		return nil, nil, err
	}
	res, warns, err := k.resources(c, uri, iss.ca)
	if err != nil {
		return nil, nil, err
	}
	ca := &CA{
		Cert:      c,
		URI:       uri,
		TA:        iss.ca.TA,
		Resources: res,
		Expires:   earliest(iss.expires, c.NotAfter),
		Depth:     iss.ca.Depth + 1,
		parent:    iss.ca,
	}
	return ca, warns, nil
}

// checkIssued applies the chain rules every certificate below a CA
// follows: profile kind, AKI, issuer name, signature (through sigs, the
// checks of the file it is in), validity, revocation, and CRLDP and AIA
// pointing where the issuer's CRL and certificate are.
func (k *checker) checkIssued(c *object.Cert, uri string, iss *issuing, kind object.CertKind, sigs *fileSigs) error {
	issuer := iss.ca.Cert
	if c.Kind != kind {
		return invalid("RFC 6487 §4.8.1", "%s certificate where a %s one belongs", c.Kind, kind)
	}
	if !bytes.Equal(c.AKI, issuer.SKI) {
		return invalid("RFC 6487 §4.8.3", "AKI %X is not the issuer's SKI %X", c.AKI, issuer.SKI)
	}
	if !bytes.Equal(c.RawIssuer, issuer.RawSubject) {
		return invalid("RFC 5280 §6.1.3", "issuer name differs from the issuer's subject")
	}
	if err := sigs.check(iss.verify, c.RawTBS, c.Signature); err != nil {
		return invalidBy("RFC 6487 §7.2", "signature", err)
	}
	if err := k.checkTime(c); err != nil {
		return err
	}
	if iss.crl != nil && iss.crl.IsRevoked(c.Serial) {
		return invalid("RFC 6487 §7.2", "serial %X revoked by %s", c.Serial, iss.crlURI)
	}
	// The manifest's EE is checked before the CRL is known (crlURI is
	// empty then); point.run checks its revocation and CRLDP afterwards.
	if iss.crlURI != "" && c.CRLDP != iss.crlURI {
		return invalid("RFC 6487 §4.8.6", "CRLDP %q, but the issuer's CRL is %q", c.CRLDP, iss.crlURI)
	}
	if c.AIA != iss.ca.URI && !slices.Contains(iss.ca.talURIs, c.AIA) {
		return invalid("RFC 6487 §4.8.7", "AIA %q, but the issuer is %q", c.AIA, iss.ca.URI)
	}
	return nil
}

// checkTime requires now within the certificate's validity (RFC 6487
// §4.6, RFC 5280 §6.1.3).
func (k *checker) checkTime(c *object.Cert) error {
	if k.now.Before(c.NotBefore) {
		return invalid("RFC 6487 §4.6.1", "not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
	}
	if k.now.After(c.NotAfter) {
		return invalid("RFC 6487 §4.6.2", "expired at %s", c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkSIA requires a CA's caRepository and rpkiManifest to be usable
// rsync URIs, the manifest directly inside the repository (RFC 6487
// §4.8.8.1, RFC 9286 §4.1 puts the manifest in the publication point).
func checkSIA(c *object.Cert) error {
	const rule = "RFC 6487 §4.8.8.1"
	repo, err := cache.ParseURI(c.CARepository)
	if err != nil || repo.Scheme() != "rsync" || !strings.HasSuffix(c.CARepository, "/") {
		return invalid(rule, "caRepository %q is not an rsync directory URI", c.CARepository)
	}
	mft, err := cache.ParseURI(c.Manifest)
	if err != nil || !mft.IsUnder(repo) || strings.Contains(c.Manifest[len(c.CARepository):], "/") {
		return invalid(rule, "rpkiManifest %q is not a file in %q", c.Manifest, c.CARepository)
	}
	return nil
}

// resources returns the effective resources of c, issued by issuer: inherit
// resolved (RFC 3779 §2.2.3.5, §3.2.3.3) and containment in the issuer's
// checked (RFC 6487 §7.2). An overclaiming certificate is invalid under
// OverclaimReject; under OverclaimTrim it keeps the intersection, and the
// warning names what was cut.
func (k *checker) resources(c *object.Cert, uri string, issuer *CA) (object.Resources, []string, error) {
	eff := c.Resources.Resolve(issuer.Resources)
	if issuer.Resources.Contains(c.Resources) {
		return eff, nil, nil
	}
	extra := strings.Join(outside(c.Resources, issuer.Resources), " ")
	if k.overclaim == OverclaimReject {
		return object.Resources{}, nil, invalid("RFC 6487 §7.2", "resources not held by the issuer: %s", extra)
	}
	warn := fmt.Sprintf("%s: RFC 8360 §4: trimmed resources not held by the issuer: %s", uri, extra)
	return eff.Intersect(issuer.Resources), []string{warn}, nil
}

// outside lists the resources of child that issuer does not fully hold, as
// the certificate gives them.
func outside(child, issuer object.Resources) []string {
	var out []string
	for _, fam := range [][2]*object.IPSet{{child.IPv4, issuer.IPv4}, {child.IPv6, issuer.IPv6}} {
		if fam[0] == nil || fam[0].Inherit {
			continue
		}
		for _, r := range fam[0].Ranges {
			if !fam[1].CoversRange(r.Min, r.Max) {
				out = append(out, r.String())
			}
		}
	}
	if child.AS != nil && !child.AS.Inherit {
		for _, r := range child.AS.Ranges {
			if !issuer.AS.CoversRange(r.Min, r.Max) {
				out = append(out, r.String())
			}
		}
	}
	return out
}

// earliest returns the earlier of two times.
func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
