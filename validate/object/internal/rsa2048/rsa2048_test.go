package rsa2048

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"sync"
	"testing"
)

// testKeys are generated once per test binary: fresh keys each run, so the
// differential tests below see new moduli every time.
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 4)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// stdVerify is the reference: crypto/rsa's answer.
func stdVerify(n *big.Int, digest, sig []byte) bool {
	return rsa.VerifyPKCS1v15(&rsa.PublicKey{N: n, E: 65537}, crypto.SHA256, digest, sig) == nil
}

func sign(t testing.TB, k *rsa.PrivateKey, hash crypto.Hash, msg []byte) []byte {
	t.Helper()
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, hash, msg)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestVerifyMatchesCryptoRSA checks, for fresh keys, that Verify accepts
// exactly what crypto/rsa accepts: good signatures, and signatures that are
// wrong in every way an encoded message or representative can be.
func TestVerifyMatchesCryptoRSA(t *testing.T) {
	for ki, k := range testKeys() {
		n := k.N
		if !Applies(n, k.E) {
			t.Fatalf("key %d: Applies = false for a 2048-bit key with e = %d", ki, k.E)
		}
		digest := sha256.Sum256([]byte{byte(ki), 'm'})
		good := sign(t, k, crypto.SHA256, digest[:])
		other := sha256.Sum256([]byte("other"))
		nMinus1 := new(big.Int).Sub(n, big.NewInt(1)).FillBytes(make([]byte, size))
		nPlus1 := new(big.Int).Add(n, big.NewInt(1)).FillBytes(make([]byte, size))
		// The padding and DigestInfo made by hand, signed raw.
		raw := func(prefix []byte) []byte { return sign(t, k, 0, append(append([]byte{}, prefix...), digest[:]...)) }
		sha1Prefix := []byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14}
		noNull := []byte{0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20}
		cases := []struct {
			name       string
			digest     []byte
			sig        []byte
			wantAccept bool
		}{
			{"good", digest[:], good, true},
			{"good, DigestInfo by hand", digest[:], raw(digestInfoSHA256), true},
			{"other digest", other[:], good, false},
			{"short digest", digest[:31], good, false},
			{"SHA-1 DigestInfo", digest[:], raw(sha1Prefix), false},
			{"DigestInfo without NULL", digest[:], raw(noNull), false},
			{"no DigestInfo", digest[:], raw(nil), false},
			{"signature = n", digest[:], n.FillBytes(make([]byte, size)), false},
			{"signature = n+1", digest[:], nPlus1, false},
			{"signature = n-1", digest[:], nMinus1, false},
			{"signature = 0", digest[:], make([]byte, size), false},
			{"signature = 1", digest[:], append(make([]byte, size-1), 1), false},
			{"signature short", digest[:], good[1:], false},
			{"signature long", digest[:], append([]byte{0}, good...), false},
			{"signature all ones", digest[:], bytes255(size), false},
		}
		for i := range size {
			bad := append([]byte{}, good...)
			bad[i] ^= 1 << (i % 8)
			cases = append(cases, struct {
				name       string
				digest     []byte
				sig        []byte
				wantAccept bool
			}{"bit flipped", digest[:], bad, false})
		}
		for _, c := range cases {
			got, want := Verify(n, c.digest, c.sig), stdVerify(n, c.digest, c.sig)
			if got != want || got != c.wantAccept {
				t.Errorf("key %d, %s: Verify = %v, crypto/rsa = %v, want %v", ki, c.name, got, want, c.wantAccept)
			}
		}
	}
}

func bytes255(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xff
	}
	return b
}

// TestVerifyManySignatures signs many digests with each key, so the
// exponentiation meets many different representatives, and checks each
// signature against its own digest and a neighbour's.
func TestVerifyManySignatures(t *testing.T) {
	for ki, k := range testKeys() {
		var key Key // one prepared key for every signature
		if !key.Set(k.N) {
			t.Fatalf("key %d: Set refused a 2048-bit key", ki)
		}
		var prev []byte
		for i := range 64 {
			d := sha256.Sum256([]byte{byte(ki), byte(i)})
			sig := sign(t, k, crypto.SHA256, d[:])
			if !Verify(k.N, d[:], sig) || !key.Verify(d[:], sig) {
				t.Fatalf("key %d, signature %d: refused", ki, i)
			}
			if prev != nil && (Verify(k.N, prev, sig) || key.Verify(prev, sig)) {
				t.Fatalf("key %d, signature %d: accepted for another digest", ki, i)
			}
			prev = d[:]
		}
	}
}

// TestApplies keeps every key outside the one profile on crypto/rsa's path.
func TestApplies(t *testing.T) {
	k := testKeys()[0]
	even := new(big.Int).Add(k.N, big.NewInt(1))
	short := new(big.Int).Rsh(k.N, 1)
	long := new(big.Int).Lsh(k.N, 1)
	long.SetBit(long, 0, 1)
	for _, c := range []struct {
		name string
		n    *big.Int
		e    int
		want bool
	}{
		{"rsa-2048, 65537", k.N, 65537, true},
		{"e = 3", k.N, 3, false},
		{"e = 65539", k.N, 65539, false},
		{"even modulus", even, 65537, false},
		{"2047 bits", short, 65537, false},
		{"2049 bits", long, 65537, false},
		{"zero", new(big.Int), 65537, false},
		{"negative", new(big.Int).Neg(k.N), 65537, false},
	} {
		if got := Applies(c.n, c.e); got != c.want {
			t.Errorf("%s: Applies = %v, want %v", c.name, got, c.want)
		}
		if !c.want {
			if k := (Key{}); c.e == 65537 && k.Set(c.n) {
				t.Errorf("%s: Set prepared a modulus Applies rejects", c.name)
			}
			d := sha256.Sum256(nil)
			if Verify(c.n, d[:], make([]byte, size)) {
				t.Errorf("%s: Verify accepted for a key Applies rejects", c.name)
			}
		}
	}
}

// TestMontMul checks the Montgomery product against math/big for random
// operands, including n-1, on each key.
func TestMontMul(t *testing.T) {
	for ki, k := range testKeys() {
		var m modulus
		if !m.set(k.N) {
			t.Fatalf("key %d: set failed", ki)
		}
		rInv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), 2048), k.N)
		nMinus1 := new(big.Int).Sub(k.N, big.NewInt(1))
		for i := range 200 {
			a, _ := rand.Int(rand.Reader, k.N)
			b, _ := rand.Int(rand.Reader, k.N)
			if i == 0 {
				a, b = nMinus1, nMinus1
			}
			var x, y, z nat
			x.setBytes(a.FillBytes(make([]byte, size)))
			y.setBytes(b.FillBytes(make([]byte, size)))
			m.montMul(&z, &x, &y)
			want := new(big.Int).Mul(a, b)
			want.Mul(want, rInv).Mod(want, k.N)
			got := new(big.Int).SetBytes(fill(&z))
			if got.Cmp(want) != 0 {
				t.Fatalf("key %d: montMul(%x, %x) = %x, want %x", ki, a, b, got, want)
			}
		}
	}
}

// TestGeq compares geq with math/big on pairs that differ in one word
// only (the lowest, a middle, the highest), on equal pairs and on random
// pairs.
func TestGeq(t *testing.T) {
	for i := range 400 {
		a, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 2048))
		b := new(big.Int).Set(a)
		switch i % 5 {
		case 0:
			b.Xor(b, big.NewInt(1)) // lowest bit
		case 1:
			b.Xor(b, new(big.Int).Lsh(big.NewInt(1), 1000))
		case 2:
			b.Xor(b, new(big.Int).Lsh(big.NewInt(1), 2047))
		case 3: // equal
		case 4:
			b, _ = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 2048))
		}
		var x, y nat
		x.setBytes(a.FillBytes(make([]byte, size)))
		y.setBytes(b.FillBytes(make([]byte, size)))
		if got, want := x.geq(&y), a.Cmp(b) >= 0; got != want {
			t.Fatalf("geq(%x, %x) = %v, want %v", a, b, got, want)
		}
		if got, want := y.geq(&x), b.Cmp(a) >= 0; got != want {
			t.Fatalf("geq(%x, %x) = %v, want %v", b, a, got, want)
		}
	}
}

func fill(x *nat) []byte {
	b := make([]byte, size)
	x.fillBytes(b)
	return b
}

// FuzzVerify checks Verify against crypto/rsa on arbitrary signatures and
// digests (and near-misses of a good signature) for a fresh key.
func FuzzVerify(f *testing.F) {
	k := testKeys()[0]
	d := sha256.Sum256([]byte("seed"))
	good := sign(f, k, crypto.SHA256, d[:])
	f.Add(d[:], good, uint16(0), byte(0))
	f.Add(d[:], good, uint16(7), byte(1))
	f.Add(d[:31], good, uint16(0), byte(0))
	f.Add(d[:], k.N.Bytes(), uint16(0), byte(0))
	f.Fuzz(func(t *testing.T, digest, sig []byte, pos uint16, flip byte) {
		if len(sig) > 0 {
			sig = append([]byte{}, sig...)
			sig[int(pos)%len(sig)] ^= flip
		}
		got, want := Verify(k.N, digest, sig), stdVerify(k.N, digest, sig)
		if got != want {
			t.Fatalf("Verify = %v, crypto/rsa = %v (digest %x, signature %x)", got, want, digest, sig)
		}
	})
}

// TestVerifyUnreducedSignature: s + n is the same residue as a good
// signature s, but RFC 8017 §5.2.2 requires the representative to be below
// n, so it must be refused (crypto/rsa refuses it too).
func TestVerifyUnreducedSignature(t *testing.T) {
	found := 0
	for ki, k := range testKeys() {
		for i := range 1000 {
			d := sha256.Sum256([]byte{'u', byte(ki), byte(i), byte(i >> 8)})
			s := new(big.Int).SetBytes(sign(t, k, crypto.SHA256, d[:]))
			s.Add(s, k.N)
			if s.BitLen() > 2048 {
				continue
			}
			sig := s.FillBytes(make([]byte, size))
			if Verify(k.N, d[:], sig) || stdVerify(k.N, d[:], sig) {
				t.Fatalf("key %d: s + n accepted (Verify %v, crypto/rsa %v)", ki, Verify(k.N, d[:], sig), stdVerify(k.N, d[:], sig))
			}
			found++
			break
		}
	}
	if found == 0 {
		t.Fatal("no key gave a signature s with s + n below 2^2048")
	}
}

func BenchmarkVerify(b *testing.B) {
	k := testKeys()[0]
	d := sha256.Sum256([]byte("bench"))
	sig := sign(b, k, crypto.SHA256, d[:])
	b.Run("rsa2048", func(b *testing.B) {
		for b.Loop() {
			if !Verify(k.N, d[:], sig) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("crypto-rsa", func(b *testing.B) {
		for b.Loop() {
			if !stdVerify(k.N, d[:], sig) {
				b.Fatal("refused")
			}
		}
	})
}
