package validate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tally-rpki/tally/validate/object/objecttest"
)

// memoRun runs the fixture with memo and returns the result.
func memoRun(t *testing.T, f *fixture, memo *Memo) *Result {
	t.Helper()
	cfg := Config{Now: now, Workers: 2, TALs: f.tals, Memo: memo}
	res, err := Run(context.Background(), cfg, &syncer{}, f.store)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// A second run over unchanged objects verifies no signature: every check
// the first run made with RSA is answered by the memo, and the result is
// the same. Then one ROA changes only in its signature (its manifest
// updated to match): the memo has no entry for it, RSA rejects it, and
// its VRP is gone while the rest stay.
func TestMemoRerun(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	ca := ta.CA(caSpec("10.0.0.0/8"))
	a := roa(ca, 64496, "10.1.0.0/16", 0)
	b := roa(ca, 64497, "10.2.0.0/16", 0)
	f.pub(ca, a, b)
	f.pub(ta, ca.Object)

	plain := memoRun(t, f, nil)
	m1, err := LoadMemo(nil)
	if err != nil {
		t.Fatal(err)
	}
	first := memoRun(t, f, m1)
	hits, misses := m1.Stats()
	// TA self-signature, CA certificate, two CRLs, two manifests (EE
	// certificate and CMS signature each), two ROAs (the same): 12.
	if hits != 0 || misses != 12 {
		t.Errorf("first run: %d hits, %d misses; want 0 and 12", hits, misses)
	}
	m2, err := LoadMemo(m1.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if m1.Unchanged() || m2.Unchanged() {
		t.Error("a memo that gained entries, or one not yet used, is unchanged")
	}
	second := memoRun(t, f, m2)
	if hits, misses := m2.Stats(); hits != 12 || misses != 0 {
		t.Errorf("second run: %d hits, %d misses; want 12 and 0", hits, misses)
	}
	// Every entry used and none added: the memo need not be written.
	if !m2.Unchanged() || !bytes.Equal(m2.Bytes(), m1.Bytes()) {
		t.Errorf("after an unchanged rerun: Unchanged %v, same bytes %v; want both", m2.Unchanged(), bytes.Equal(m2.Bytes(), m1.Bytes()))
	}
	for _, r := range []*Result{first, second} {
		if diff := cmp.Diff(plain, r, cmpOpts...); diff != "" {
			t.Fatalf("result with the memo differs from without (-without +with):\n%s", diff)
		}
	}

	// b's last byte is the last byte of its CMS signature.
	broken := b
	broken.DER = objecttest.FlipByte(b.DER, len(b.DER)-1)
	f.put(pubPoint(ca, objecttest.MftSpec{Number: 2}, a, broken)...)
	m3, err := LoadMemo(m2.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	third := memoRun(t, f, m3)
	if diff := cmp.Diff([]VRP{tv(64496, "10.1.0.0/16", 16)}, third.VRPs, cmpOpts...); diff != "" {
		t.Errorf("after the flipped signature: VRPs (-want +got):\n%s", diff)
	}
	checkAt(t, third, []ruleAt{{b.URI, "RFC 6488 §3"}})
	if _, misses := m3.Stats(); misses == 0 {
		t.Errorf("the changed ROA was answered by the memo")
	}
	if m3.Unchanged() {
		t.Error("a memo with an entry unused (the old ROA) and one added is unchanged")
	}
}

// A damaged memo file is no memo: LoadMemo says why and returns an empty
// memo, with which the run verifies everything and gives the same result.
func TestMemoDamaged(t *testing.T) {
	f := newFixture(t)
	ta := objecttest.NewTA(objecttest.CertSpec{})
	f.addTA("ta", ta)
	ca := ta.CA(caSpec("10.0.0.0/8"))
	f.pub(ca, roa(ca, 64496, "10.1.0.0/16", 0))
	f.pub(ta, ca.Object)
	m, _ := LoadMemo(nil)
	want := memoRun(t, f, m)
	good := m.Bytes()
	unsorted := append([]byte{}, good...)
	n := len(memoMagic)
	copy(unsorted[n:n+32], good[n+32:n+64]) // two entries swapped
	copy(unsorted[n+32:n+64], good[n:n+32])
	damaged := map[string][]byte{
		"truncated":      good[:len(good)-5],
		"flipped byte":   objecttest.FlipByte(good, n+3),
		"other magic":    append([]byte("tally signature memo 9\n"), good[n:]...),
		"garbage":        bytes.Repeat([]byte{0xA5}, 1000),
		"no entry whole": append(good[:n+31:n+31], good[len(good)-32:]...),
		"unsorted":       unsorted,
	}
	for name, data := range damaged {
		t.Run(name, func(t *testing.T) {
			m, err := LoadMemo(data)
			if err == nil {
				t.Fatal("LoadMemo accepted a damaged file")
			}
			if got, want := errors.Is(err, ErrMemoVersion), name == "other magic"; got != want {
				t.Errorf("LoadMemo: %v; is ErrMemoVersion = %v, want %v", err, got, want)
			}
			got := memoRun(t, f, m)
			if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if hits, misses := m.Stats(); hits != 0 || misses == 0 {
				t.Errorf("%d hits, %d misses with a damaged memo", hits, misses)
			}
		})
	}
}

func FuzzLoadMemo(f *testing.F) {
	m, _ := LoadMemo(nil)
	f.Add(m.Bytes())
	f.Add(memoMagic)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := LoadMemo(data)
		if m == nil {
			t.Fatal("nil memo")
		}
		if err != nil && len(m.old) != 0 {
			t.Fatal("entries kept from a damaged file")
		}
		if err == nil {
			if again, err := LoadMemo(m.Bytes()); err != nil || len(again.old) != 0 {
				// Nothing was used, so nothing is kept.
				t.Fatalf("Bytes of an unused memo: %v, %d entries", err, len(again.old))
			}
		}
	})
}

// A loaded memo finds every key it holds, including those at either end
// of the key space, and no other.
func TestMemoLookup(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := &Memo{added: make(map[memoKey]struct{})}
	var keys []memoKey
	for i := range 5000 {
		var k memoKey
		for j := range k {
			k[j] = byte(rng.Uint32())
		}
		switch i {
		case 0:
			k = memoKey{}
		case 1:
			for j := range k {
				k[j] = 0xff
			}
		case 2:
			k[0], k[1] = 0xff, 0xff
		}
		m.added[k] = struct{}{}
		keys = append(keys, k)
	}
	loaded, err := LoadMemo(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !loaded.seen(k) {
			t.Fatalf("key %x not found", k)
		}
	}
	for range 5000 {
		var k memoKey
		for j := range k {
			k[j] = byte(rng.Uint32())
		}
		if _, in := m.added[k]; !in && loaded.seen(k) {
			t.Fatalf("key %x found, never added", k)
		}
	}
	for _, k := range keys[:200] { // same bucket, one bit off
		k[len(k)-1] ^= 1
		if _, in := m.added[k]; !in && loaded.seen(k) {
			t.Fatalf("key %x found, never added", k)
		}
	}
	if got := len(loaded.Bytes()); got != len(m.Bytes()) {
		t.Errorf("every key was used: rewritten memo has %d bytes, want %d", got, len(m.Bytes()))
	}
	// One issuer with thousands of files (a TA's children): one bucket,
	// searched, finds each of them and nothing else.
	big := &Memo{added: make(map[memoKey]struct{})}
	var same []memoKey
	for i := range 5000 {
		k := keys[i]
		copy(k[:issuerPrefix], keys[0][:issuerPrefix])
		big.added[k] = struct{}{}
		same = append(same, k)
	}
	l, err := LoadMemo(big.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range same {
		if !l.seen(k) {
			t.Fatalf("key %x of the big bucket not found", k)
		}
		k[len(k)-1] ^= 1
		if _, in := big.added[k]; !in && l.seen(k) {
			t.Fatalf("key %x found in the big bucket, never added", k)
		}
	}
	for _, n := range []int{1, 2, 3, 255, 256, 257} { // small memos: the fewest buckets
		small := &Memo{added: make(map[memoKey]struct{})}
		for _, k := range keys[:n] {
			small.added[k] = struct{}{}
		}
		l, err := LoadMemo(small.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range keys[:n+1] {
			if got := l.seen(k); got != (i < n) {
				t.Fatalf("memo of %d keys: key %d seen = %v", n, i, got)
			}
		}
	}
}

// BenchmarkMemoSeen looks up keys of a loaded memo the size of the 40k
// world's (574,000 signatures).
func BenchmarkMemoSeen(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := &Memo{added: make(map[memoKey]struct{})}
	keys := make([]memoKey, 574000)
	for i := range keys {
		for j := range keys[i] {
			keys[i][j] = byte(rng.Uint32())
		}
		m.added[keys[i]] = struct{}{}
	}
	loaded, err := LoadMemo(m.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if !loaded.seen(keys[i%len(keys)]) {
			b.Fatal("key not found")
		}
		i += 7919 // a prime stride: no two lookups near each other
	}
}

// A memo entry vouches for one file under one issuer key: the same file
// under another key, or another file under the same key, is verified with
// RSA; a file whose signatures did not all verify is never entered; and
// the entries survive Bytes and LoadMemo.
func TestMemoFileKey(t *testing.T) {
	sum := func(s string) func() [32]byte { return func() [32]byte { return sha256.Sum256([]byte(s)) } }
	fileA, fileB := sum("file a")(), sum("file b")()
	calls := 0
	good := func(digest, sig []byte) error { calls++; return nil }
	bad := func(digest, sig []byte) error { calls++; return errors.New("bad signature") }

	// An entry starts with its issuer's hash: a point's entries lie together.
	if k, iss := fileKey(fileA, sum("key 1")()), sum("key 1")(); !bytes.Equal(k[:issuerPrefix], iss[:issuerPrefix]) {
		t.Errorf("entry %x does not start with its issuer's hash %x", k, iss)
	}
	m, _ := LoadMemo(nil)
	s := m.forFile(fileA, sum("key 1"))
	if s.vouched {
		t.Fatal("empty memo vouches for a file")
	}
	if err := s.check(good, []byte("tbs"), []byte("sig")); err != nil || calls != 1 {
		t.Fatalf("check: %v, %d RSA checks", err, calls)
	}
	s.verified()
	failed := m.forFile(fileB, sum("key 1"))
	if err := failed.check(bad, []byte("tbs"), []byte("sig")); err == nil {
		t.Fatal("a failed signature passed")
	} // and never verified(): not entered

	loaded, err := LoadMemo(m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, memo := range []*Memo{m, loaded} {
		for _, tc := range []struct {
			file   [32]byte
			issuer string
			want   bool
		}{
			{fileA, "key 1", true},
			{fileA, "key 2", false},
			{fileB, "key 1", false},
		} {
			if got := memo.forFile(tc.file, sum(tc.issuer)).vouched; got != tc.want {
				t.Errorf("file %x under %s: vouched = %v, want %v", tc.file[:4], tc.issuer, got, tc.want)
			}
		}
	}
	calls = 0
	s = loaded.forFile(fileA, sum("key 1"))
	if err := s.check(bad, []byte("tbs"), []byte("sig")); err != nil || calls != 0 {
		t.Errorf("vouched file: check %v after %d RSA checks, want nil after none", err, calls)
	}
	if hits, misses := loaded.Stats(); hits != 1 || misses != 0 {
		t.Errorf("stats %d hits, %d misses; want 1 and 0", hits, misses)
	}

	// Without a memo every signature is verified and no issuer key hashed.
	var none *Memo
	s = none.forFile(fileA, func() [32]byte { t.Fatal("issuer key hashed without a memo"); return [32]byte{} })
	if err := s.check(bad, []byte("tbs"), []byte("sig")); err == nil {
		t.Error("without a memo a bad signature passed")
	}
	s.verified() // no memo: nothing to record, no panic
}
