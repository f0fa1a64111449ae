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
	if err := CheckSignature(issuer.PublicKey, c.RawTBS, c.Signature); err != nil {
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
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("issuer key is %T, want RSA: %w", pub, ErrSignature)
	}
	if rsa2048.Applies(k.N, k.E) {
		// The RPKI's one key profile (RFC 7935 §3), without crypto/rsa's
		// per-call constant-time rebuild of the modulus.
		if !rsa2048.Verify(k.N, digest, sig) {
			return fmt.Errorf("RSA PKCS#1 v1.5 SHA-256: %w", ErrSignature)
		}
		return nil
	}
	if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig); err != nil {
		return fmt.Errorf("RSA PKCS#1 v1.5 SHA-256: %w", ErrSignature)
	}
	return nil
}

// FileHash returns the SHA-256 digest of data, as manifests list it
// (RFC 9286 §4.2.1).
func FileHash(data []byte) [32]byte { return sha256.Sum256(data) }
