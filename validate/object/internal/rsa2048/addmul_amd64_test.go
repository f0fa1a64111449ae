//go:build !purego

package rsa2048

import (
	"crypto/rand"
	"math/big"
	"testing"
)

// TestAddMulPaths checks both paths of the assembly row (ADX/BMI2 and
// plain MULQ) against math/big, whichever one this processor takes.
func TestAddMulPaths(t *testing.T) {
	had := supportADX
	t.Cleanup(func() { supportADX = had })
	paths := []bool{false}
	if hasADX() {
		paths = append(paths, true)
	}
	max := new(big.Int).Lsh(big.NewInt(1), 2048)
	for _, adx := range paths {
		supportADX = adx
		for i := range 100 {
			zi, _ := rand.Int(rand.Reader, max)
			xi, _ := rand.Int(rand.Reader, max)
			var y uint
			if i == 0 {
				zi.Sub(max, big.NewInt(1))
				xi.Set(zi)
				y = ^uint(0)
			} else {
				yi, _ := rand.Int(rand.Reader, new(big.Int).SetUint64(^uint64(0)))
				y = uint(yi.Uint64())
			}
			var z, x nat
			z.setBytes(zi.FillBytes(make([]byte, size)))
			x.setBytes(xi.FillBytes(make([]byte, size)))
			c := addMul(z[:], x[:], y)
			want := new(big.Int).Mul(xi, new(big.Int).SetUint64(uint64(y)))
			want.Add(want, zi)
			got := new(big.Int).Lsh(new(big.Int).SetUint64(uint64(c)), 2048)
			got.Add(got, new(big.Int).SetBytes(fill(&z)))
			if got.Cmp(want) != 0 {
				t.Fatalf("adx=%v: addMul wrong for z=%x x=%x y=%x", adx, zi, xi, y)
			}
		}
	}
}
