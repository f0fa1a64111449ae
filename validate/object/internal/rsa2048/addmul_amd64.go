//go:build !purego

package rsa2048

// addMulVVW2048 is in addmul_amd64.s: z[0:32] += x[0:32]·y, returning the
// carry word. It takes the ADX/BMI2 path when supportADX is set.
//
//go:noescape
func addMulVVW2048(z, x *uint, y uint) (c uint)

// cpuid is in cpuid_amd64.s.
//
//go:noescape
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// supportADX is read by addmul_amd64.s. It is set once, before any use,
// from what the processor reports, and never changed.
var supportADX = hasADX()

// hasADX reports whether the processor has ADX and BMI2 (CPUID leaf 7,
// EBX bits 19 and 8), which the fast path of addMulVVW2048 uses.
func hasADX() bool {
	if max, _, _, _ := cpuid(0, 0); max < 7 {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	return ebx&(1<<19) != 0 && ebx&(1<<8) != 0
}

// addMul is z[:limbs] += x[:limbs]·y, returning the carry word.
func addMul(z, x []uint, y uint) uint {
	_, _ = z[limbs-1], x[limbs-1]
	return addMulVVW2048(&z[0], &x[0], y)
}
