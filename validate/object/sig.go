package object

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/tally-rpki/tally/validate/object/internal/rsa2048"
)

// ErrSignature is matched (with errors.Is) by every error from a signature
// check that failed. It is not ErrMalformed: the object parsed, but its
// signature does not verify with the key it was checked against.
var ErrSignature = errors.New("signature verification failed")

// CheckSignatureFrom verifies c's signature over RawTBS with issuer's key
// (RFC 6487 §7.2, RFC 7935 §2: RSA PKCS#1 v1.5 with SHA-256). It checks
// nothing else about the pair: matching AKI to SKI, validity and revocation
// are validate's. ParseCert has already required sha256WithRSAEncryption
// for c. Errors wrap ErrSignature.
func (c *Cert) CheckSignatureFrom(issuer *Cert) error {
	if issuer == nil {
		return fmt.Errorf("no issuer: %w", ErrSignature)
	}
	if err := CheckSignature(issuer.PublicKey(), c.RawTBS, c.Signature); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	return nil
}

// CheckSignature verifies an RSA PKCS#1 v1.5 signature with SHA-256 over
// signed (RFC 7935 §2), the one algorithm the RPKI uses to sign
// certificates, CRLs and signed objects. pub must be an *rsa.PublicKey.
// Errors wrap ErrSignature.
func CheckSignature(pub crypto.PublicKey, signed, sig []byte) error {
	sum := sha256.Sum256(signed)
	return CheckSignatureDigest(pub, sum[:], sig)
}

// CheckSignatureDigest is CheckSignature for a caller that has the
// SHA-256 digest of the signed bytes already.
func CheckSignatureDigest(pub crypto.PublicKey, digest, sig []byte) error {
	var k Key // one check: prepared on the stack
	k.prepare(pub)
	return k.CheckSignatureDigest(digest, sig)
}

// Key is a public key prepared for checking many signatures, as a CA's key
// checks every object of its publication point. It does not change once
// prepared, so it may be used from several goroutines.
type Key struct {
	pub  crypto.PublicKey
	rsa  rsa2048.Key
	fast bool // rsa is prepared: RSA-2048 with exponent 65537
}

// PrepareKey prepares pub for CheckSignatureDigest. Keys of the RPKI's one
// profile (RSA-2048, exponent 65537, RFC 7935 §3) go through a verifier
// that, unlike crypto/rsa, does not rebuild the modulus in constant time
// for every signature (nothing in a public-key check is secret); any other
// key through crypto/rsa.
func PrepareKey(pub crypto.PublicKey) *Key {
	k := new(Key)
	k.prepare(pub)
	return k
}

func (k *Key) prepare(pub crypto.PublicKey) {
	k.pub = pub
	if r, ok := pub.(*rsa.PublicKey); ok && rsa2048.Applies(r.N, r.E) {
		k.fast = k.rsa.Set(r.N)
	}
}

// CheckSignatureDigest verifies an RSA PKCS#1 v1.5 signature with SHA-256
// (RFC 7935 §2) over bytes whose SHA-256 digest is digest. Errors wrap
// ErrSignature.
func (k *Key) CheckSignatureDigest(digest, sig []byte) error {
	if k.fast {
		if !k.rsa.Verify(digest, sig) {
			return fmt.Errorf("RSA PKCS#1 v1.5 SHA-256: %w", ErrSignature)
		}
		return nil
	}
	r, ok := k.pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("issuer key is %T, want RSA: %w", k.pub, ErrSignature)
	}
	if err := rsa.VerifyPKCS1v15(r, crypto.SHA256, digest, sig); err != nil {
		return fmt.Errorf("RSA PKCS#1 v1.5 SHA-256: %w", ErrSignature)
	}
	return nil
}

// FileHash returns the SHA-256 digest of data, as manifests list it
// (RFC 9286 §4.2.1).
func FileHash(data []byte) [32]byte { return sha256.Sum256(data) }
