package validate

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	stdbits "math/bits"
	"slices"
	"sync"
	"sync/atomic"
)

// Memo remembers signatures already verified, so a rerun over unchanged
// objects skips RSA. An entry is the SHA-256 of the signed bytes' digest,
// the signature and the SHA-256 of the signer's SubjectPublicKeyInfo:
// never a name or URI, so an entry vouches for exactly those bytes under
// exactly that key. Only the signature is memoised; every other check
// (validity, revocation, manifest window, resources, the CMS message
// digest) is made on every run.
//
// A Memo is safe for concurrent use. The zero Memo is empty.
type Memo struct {
	// old holds the loaded entries, sorted and unique, memoKey-sized
	// slices of the memo file's bytes (kept, not copied).
	old []byte
	// start[b] is the index in old of the first key whose top bits (the
	// first 64 bits shifted right by shift) are at least b. Keys are
	// SHA-256 sums, spread evenly, and there are about half as many
	// buckets as keys, so a lookup compares a key or two in one place
	// instead of searching.
	start []uint32
	shift uint
	used  []atomic.Uint32 // bit i: old[i] was hit in this run
	mu    sync.Mutex      // guards added
	// added holds entries verified in this run that old lacks.
	added map[memoKey]struct{}

	hits, misses atomic.Int64
}

type memoKey [sha256.Size]byte

// memoMagic starts a memo file; the version is in it.
var memoMagic = []byte("tally signature memo 1\n")

// LoadMemo reads a memo written by Memo.Bytes. A file that is truncated,
// damaged or of another version gives an empty memo and an error saying
// why, for a log line: the memo is an optimisation, never a reason to
// fail. data is kept, not copied.
func LoadMemo(data []byte) (*Memo, error) {
	m := &Memo{}
	if len(data) == 0 {
		return m, nil
	}
	n := len(memoMagic)
	if len(data) < n+sha256.Size || !bytes.Equal(data[:n], memoMagic) {
		return m, errors.New("signature memo: not a memo file")
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return m, errors.New("signature memo: checksum mismatch")
	}
	entries := body[n:]
	if len(entries)%sha256.Size != 0 {
		return m, errors.New("signature memo: truncated entry")
	}
	n = len(entries) / sha256.Size
	for i := 1; i < n; i++ {
		if bytes.Compare(entries[(i-1)*sha256.Size:i*sha256.Size], entries[i*sha256.Size:(i+1)*sha256.Size]) >= 0 {
			return &Memo{}, errors.New("signature memo: entries not in order")
		}
	}
	m.old = entries
	bits := min(max(stdbits.Len(uint(n)), 8), 23) - 1 // 2^bits buckets: n/2 to n
	m.shift = 64 - uint(bits)
	m.start = make([]uint32, 1<<bits+1)
	b := 0
	for i := range n {
		for top := int(binary.BigEndian.Uint64(entries[i*sha256.Size:]) >> m.shift); b <= top; b++ {
			m.start[b] = uint32(i)
		}
	}
	for ; b <= 1<<bits; b++ {
		m.start[b] = uint32(n)
	}
	m.used = make([]atomic.Uint32, (n+31)/32)
	return m, nil
}

// oldKey returns loaded entry i.
func (m *Memo) oldKey(i int) []byte { return m.old[i*sha256.Size : (i+1)*sha256.Size] }

// Bytes returns the memo to keep for the next run: the entries hit or
// added in this run, so entries of objects gone do not pile up.
func (m *Memo) Bytes() []byte {
	m.mu.Lock()
	keys := make([]memoKey, 0, len(m.added)+int(m.hits.Load()))
	for k := range m.added {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for i := range len(m.old) / sha256.Size {
		if m.used[i/32].Load()&(1<<(i%32)) != 0 {
			keys = append(keys, memoKey(m.oldKey(i)))
		}
	}
	slices.SortFunc(keys, func(a, b memoKey) int { return bytes.Compare(a[:], b[:]) })
	keys = slices.Compact(keys)
	out := make([]byte, 0, len(memoMagic)+len(keys)*sha256.Size+sha256.Size)
	out = append(out, memoMagic...)
	for _, k := range keys {
		out = append(out, k[:]...)
	}
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

// Stats returns how many signature checks the memo answered and how many
// needed RSA.
func (m *Memo) Stats() (hits, misses int64) { return m.hits.Load(), m.misses.Load() }

// check verifies sig over signed with the key of spki (its DER; verify
// checks a signature over a digest with that key, and is called only when
// RSA is needed), through the memo when m is not nil.
func (m *Memo) check(verify func(digest, sig []byte) error, spki, signed, sig []byte) error {
	digest := sha256.Sum256(signed)
	if m == nil {
		return verify(digest[:], sig)
	}
	k := memoKeyOf(digest, sig, spki)
	if m.seen(k) {
		m.hits.Add(1)
		return nil
	}
	m.misses.Add(1)
	if err := verify(digest[:], sig); err != nil {
		return err
	}
	m.mu.Lock()
	if m.added == nil {
		m.added = make(map[memoKey]struct{})
	}
	m.added[k] = struct{}{}
	m.mu.Unlock()
	return nil
}

// seen looks k up in the loaded entries, marking it used, then in those
// added in this run.
func (m *Memo) seen(k memoKey) bool {
	if m.old != nil {
		top := binary.BigEndian.Uint64(k[:8]) >> m.shift
		for i := int(m.start[top]); i < int(m.start[top+1]); i++ {
			if bytes.Equal(m.oldKey(i), k[:]) {
				m.used[i/32].Or(1 << (i % 32))
				return true
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.added[k]
	return ok
}

// memoKeyOf hashes what a signature check depends on: the digest of the
// signed bytes, the signature and the signer's key. The parts have fixed
// or prefixed lengths, so no two inputs share an encoding.
func memoKeyOf(digest [sha256.Size]byte, sig, spki []byte) memoKey {
	h := sha256.New()
	h.Write(digest[:])
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(sig)))
	h.Write(n[:])
	h.Write(sig)
	ks := sha256.Sum256(spki)
	h.Write(ks[:])
	var k memoKey
	h.Sum(k[:0])
	return k
}
