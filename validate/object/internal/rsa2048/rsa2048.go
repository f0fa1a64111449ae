// Package rsa2048 verifies RSA PKCS#1 v1.5 SHA-256 signatures made with
// 2048-bit keys and public exponent 65537: the one profile the RPKI signs
// with (RFC 7935 §2, §3), and most of the CPU time of a validation run.
//
// crypto/rsa gives the same answers, but it rebuilds the modulus for every
// call, computing R² mod N in constant time, which is a third of the cost
// of a verification. The modulus and signature are public, so nothing here
// needs to be constant-time: R² mod N comes from one division with
// math/big, and the exponentiation is a plain chain of Montgomery
// multiplications. The multiplication (montMul) and the assembly row
// (addmul_amd64.s) are taken from Go's crypto/internal/fips140/bigmod,
// under the BSD-style licence in LICENSE.go-authors.
//
// Verification re-encodes the expected message and compares it whole with
// the decrypted signature (RFC 8017 §8.2.2), never parsing the padding.
// Tests check every answer against crypto/rsa.
package rsa2048

import (
	"bytes"
	"math/big"
	"math/bits"
)

// limbs is the number of machine words in a 2048-bit number.
const limbs = 2048 / bits.UintSize

// size is the length in bytes of the modulus and of a signature.
const size = 2048 / 8

// nat is a number below 2^2048, little-endian in machine words.
type nat [limbs]uint

// modulus is an RSA modulus prepared for Montgomery multiplication with
// R = 2^2048.
type modulus struct {
	n     nat
	m0inv uint // -n⁻¹ mod 2^W
	rr    nat  // R² mod n
}

// Applies reports whether Verify handles keys with modulus n and public
// exponent e: a 2048-bit odd modulus and e = 65537. Callers use crypto/rsa
// for any other key.
func Applies(n *big.Int, e int) bool {
	return e == 65537 && n.Sign() > 0 && n.BitLen() == 2048 && n.Bit(0) == 1
}

// Key is a public key prepared for checking signatures: building it costs
// about a tenth of one check, so a key that checks many signatures (a CA's)
// is built once. The zero Key is not usable; Set prepares it.
type Key struct {
	m modulus
}

// Set prepares k for the key with modulus n and exponent 65537, and
// reports false (k unusable) if Applies(n, 65537) is false.
func (k *Key) Set(n *big.Int) bool {
	return Applies(n, 65537) && k.m.set(n)
}

// Verify reports whether sig is a valid RSASSA-PKCS1-v1_5 signature with
// SHA-256 (RFC 8017 §8.2.2) over a message whose SHA-256 digest is digest,
// for the key with modulus n and exponent 65537. It reports false for a
// key Applies rejects.
func Verify(n *big.Int, digest, sig []byte) bool {
	var k Key
	return k.Set(n) && k.Verify(digest, sig)
}

// Verify is the package's Verify with k's key.
func (k *Key) Verify(digest, sig []byte) bool {
	if len(digest) != 32 || len(sig) != size {
		return false
	}
	var s nat
	s.setBytes(sig)
	if s.geq(&k.m.n) { // RFC 8017 §5.2.2: the signature representative must be < n
		return false
	}
	var em [size]byte
	k.m.exp65537(&s, &s)
	s.fillBytes(em[:])
	return bytes.Equal(em[:size-len(digestInfoSHA256)-32], emPadding[:]) &&
		bytes.Equal(em[size-len(digestInfoSHA256)-32:size-32], digestInfoSHA256) &&
		bytes.Equal(em[size-32:], digest)
}

// digestInfoSHA256 is the DER DigestInfo prefix for SHA-256 (RFC 8017
// §9.2, note 1).
var digestInfoSHA256 = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// emPadding is the encoded message before the DigestInfo: 0x00 0x01, the
// 0xff padding string, and the 0x00 separator (RFC 8017 §9.2 step 5).
var emPadding = func() (p [size - 19 - 32]byte) {
	p[1] = 0x01
	for i := 2; i < len(p)-1; i++ {
		p[i] = 0xff
	}
	return p
}()

// set prepares m for n, which Applies accepted.
func (m *modulus) set(n *big.Int) bool {
	w := n.Bits()
	if len(w) != limbs {
		return false
	}
	for i, x := range w {
		m.n[i] = uint(x)
	}
	m.m0inv = minusInverseModW(m.n[0])
	if m.n[0]*m.m0inv != ^uint(0) {
		return false
	}
	var r2 big.Int
	r2.SetBit(&r2, 2*2048, 1)
	r2.Mod(&r2, n)
	for i, x := range r2.Bits() {
		m.rr[i] = uint(x)
	}
	return true
}

// minusInverseModW returns -x⁻¹ mod 2^W for odd x. Each Newton step
// doubles the number of correct low bits, from the 3 that x⁻¹ = x gives.
func minusInverseModW(x uint) uint {
	y := x
	for range 5 {
		y *= 2 - x*y
	}
	return -y
}

// setBytes sets x to the big-endian number b, which is size bytes long.
func (x *nat) setBytes(b []byte) {
	_ = b[size-1]
	for i := range x {
		var w uint
		for j := range bits.UintSize / 8 {
			w |= uint(b[size-1-i*(bits.UintSize/8)-j]) << (8 * j)
		}
		x[i] = w
	}
}

// fillBytes writes x big-endian into b, which is size bytes long.
func (x *nat) fillBytes(b []byte) {
	_ = b[size-1]
	for i, w := range x {
		for j := range bits.UintSize / 8 {
			b[size-1-i*(bits.UintSize/8)-j] = byte(w >> (8 * j))
		}
	}
}

// geq reports whether x ≥ y. It compares from the most significant word
// down and stops at the first that differs (nearly always the first):
// nothing in checking a signature is secret, so its time may depend on
// the values.
func (x *nat) geq(y *nat) bool {
	for i := limbs - 1; i >= 0; i-- {
		if x[i] != y[i] {
			return x[i] > y[i]
		}
	}
	return true
}

// sub sets x to x - y mod 2^2048.
func (x *nat) sub(y *nat) {
	var borrow uint
	for i := range x {
		x[i], borrow = bits.Sub(x[i], y[i], borrow)
	}
}

// montMul sets x to a·b/R mod m (word-by-word Montgomery multiplication,
// Gueron, "Efficient Software Implementations of Modular Exponentiation",
// algorithm 4, as bigmod does it). a and b must be below m; x may alias
// either.
func (m *modulus) montMul(x, a, b *nat) {
	var t [2 * limbs]uint
	var c uint
	for i := range limbs {
		c1 := addMul(t[i:i+limbs], a[:], b[i])
		y := t[i] * m.m0inv
		c2 := addMul(t[i:i+limbs], m.n[:], y)
		t[limbs+i], c = bits.Add(c1, c2, c)
	}
	copy(x[:], t[limbs:])
	// The result is below 2m: subtract m once if it reached 2^2048 (c) or m.
	if c != 0 || x.geq(&m.n) {
		x.sub(&m.n)
	}
}

// exp65537 sets x to s^65537 mod m; s must be below m and x may alias it.
func (m *modulus) exp65537(x, s *nat) {
	var sR nat
	m.montMul(&sR, s, &m.rr) // s·R mod m
	*x = sR
	for range 16 {
		m.montMul(x, x, x)
	}
	m.montMul(x, x, &sR)
	one := nat{1}
	m.montMul(x, x, &one) // out of the Montgomery domain
}
