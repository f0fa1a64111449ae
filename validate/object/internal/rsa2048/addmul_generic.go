//go:build purego || !amd64

package rsa2048

import "math/bits"

// addMul is z[:limbs] += x[:limbs]·y, returning the carry word: one row of
// a schoolbook multiplication.
func addMul(z, x []uint, y uint) (carry uint) {
	z, x = z[:limbs], x[:limbs]
	for i := range z {
		hi, lo := bits.Mul(x[i], y)
		lo, c := bits.Add(lo, z[i], 0)
		hi += c
		lo, c = bits.Add(lo, carry, 0)
		hi += c
		z[i], carry = lo, hi
	}
	return carry
}
