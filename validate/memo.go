package validate

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	stdbits "math/bits"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Memo remembers which files' signatures were already verified, so a
// rerun over unchanged objects skips RSA. An entry (fileKey) is made of a
// file's SHA-256 and the SHA-256 of the SubjectPublicKeyInfo of the key
// that issued its certificate: the file's bytes fix every signed byte,
// signature and EE key in it, so an entry vouches that every signature in
// exactly those bytes verified, the certificate's under exactly that
// issuer key. It is never a name or URI. The file's hash is one
// validation computes anyway (the manifest's check, or the manifest
// itself when it is kept), so a lookup hashes under a hundred bytes,
// where hashing each signed part and key again was a tenth of a run. Only
// signatures are memoised; every other check (validity, revocation,
// manifest window, resources, the CMS message digest) is made on every
// run.
//
// A Memo is safe for concurrent use. The zero Memo is empty.
type Memo struct {
	// old holds the loaded entries, sorted and unique, memoKey-sized
	// slices of the memo file's bytes (kept, not copied).
	old []byte
	// start[b] is the index in old of the first key whose top bits (the
	// first 64 bits shifted right by shift) are at least b. Keys begin
	// with their issuer's hash, spread evenly, and there are about half
	// as many buckets as keys, so a lookup searches the few entries of
	// its issuer (and rarely another's) in one place.
	start []uint32
	shift uint
	used  []atomic.Uint32 // bit i: old[i] was hit in this run
	mu    sync.Mutex      // guards added
	// added holds entries verified in this run that old lacks.
	added map[memoKey]struct{}

	hits, misses atomic.Int64
}

type memoKey [sha256.Size]byte

// memoMagic starts a memo file; the version is in it. Version 1 keyed
// each signature on its own, version 2 each file without its issuer in
// front.
var memoMagic = []byte("tally signature memo 3\n")

// ErrMemoVersion is LoadMemo's error for a memo file of another version of
// tally: not damage, but its entries mean nothing to this one.
var ErrMemoVersion = errors.New("signature memo: written by another version of tally")

// memoMagicPrefix starts a memo file of any version.
const memoMagicPrefix = "tally signature memo "

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
		if bytes.HasPrefix(data, []byte(memoMagicPrefix)) {
			return m, ErrMemoVersion
		}
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
	keys := make([]memoKey, 0, len(m.added)+len(m.old)/sha256.Size)
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

// Unchanged reports whether Bytes would return the very memo loaded: no
// entry was added and every loaded one was used. A run over an unchanged
// repository then need not write the memo again.
func (m *Memo) Unchanged() bool {
	m.mu.Lock()
	added := len(m.added)
	m.mu.Unlock()
	if added > 0 || len(m.old) == 0 {
		return false
	}
	n := len(m.old) / sha256.Size
	for i := range m.used {
		want := ^uint32(0)
		if rest := n - 32*i; rest < 32 {
			want = 1<<rest - 1
		}
		if m.used[i].Load() != want {
			return false
		}
	}
	return true
}

// Stats returns how many signature checks the memo answered and how many
// needed RSA.
func (m *Memo) Stats() (hits, misses int64) { return m.hits.Load(), m.misses.Load() }

// fileSigs checks the signatures of one file, through the memo when m is
// not nil.
type fileSigs struct {
	m       *Memo
	key     memoKey
	vouched bool // the memo holds key: every signature in the file verified before
}

// forFile returns the signature checks of the file whose SHA-256 is sum,
// its certificate issued under the key whose SubjectPublicKeyInfo has the
// SHA-256 issuer. issuer is called only when m is not nil.
func (m *Memo) forFile(sum [sha256.Size]byte, issuer func() [sha256.Size]byte) fileSigs {
	if m == nil {
		return fileSigs{}
	}
	k := fileKey(sum, issuer())
	return fileSigs{m: m, key: k, vouched: m.seen(k)}
}

// fileKeyTag starts what an entry is the hash of, so that an entry can be
// nothing else.
const fileKeyTag = "tally memo: file, issuer key\x00"

// fileKey is the memo entry of a file and its issuer's key: the first
// issuerPrefix bytes of the issuer's hash, then the first 24 bytes of the
// SHA-256 of tag, file hash and issuer hash (192 bits: collisions stay
// out of reach).
// Entries are sorted, so the files of one publication point (one issuer)
// lie together: a point's lookups touch one place in a memo of hundreds
// of thousands of entries, not one place each, which cost a run as many
// cache and TLB misses.
func fileKey(sum, issuer [sha256.Size]byte) memoKey {
	var b [len(fileKeyTag) + 2*sha256.Size]byte
	n := copy(b[:], fileKeyTag)
	n += copy(b[n:], sum[:])
	copy(b[n:], issuer[:])
	h := sha256.Sum256(b[:])
	var k memoKey
	copy(k[copy(k[:], issuer[:issuerPrefix]):], h[:])
	return k
}

// issuerPrefix is how many bytes of its issuer's hash an entry starts with.
const issuerPrefix = 8

// check verifies sig over signed with verify (a check of a signature over
// a SHA-256 digest with one key), unless the memo vouches for the file.
func (s *fileSigs) check(verify func(digest, sig []byte) error, signed, sig []byte) error {
	if s.vouched {
		s.m.hits.Add(1)
		return nil
	}
	if s.m != nil {
		s.m.misses.Add(1)
	}
	digest := sha256.Sum256(signed)
	return verify(digest[:], sig)
}

// verified records, once every signature of the file was checked and
// verified, that the file needs no RSA next time.
func (s *fileSigs) verified() {
	if s.m == nil || s.vouched {
		return
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.added == nil {
		s.m.added = make(map[memoKey]struct{})
	}
	s.m.added[s.key] = struct{}{}
}

// seen looks k up in the loaded entries, marking it used, then in those
// added in this run.
func (m *Memo) seen(k memoKey) bool {
	if m.old != nil {
		// A bucket holds the entries of one issuer or a few: thousands
		// for a CA with thousands of children, so it is searched.
		top := binary.BigEndian.Uint64(k[:8]) >> m.shift
		lo, hi := int(m.start[top]), int(m.start[top+1])
		i := lo + sort.Search(hi-lo, func(j int) bool { return bytes.Compare(m.oldKey(lo+j), k[:]) >= 0 })
		if i < hi && bytes.Equal(m.oldKey(i), k[:]) {
			m.used[i/32].Or(1 << (i % 32))
			return true
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.added[k]
	return ok
}
