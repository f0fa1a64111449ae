package rrdp

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"hash"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"
)

var benchSnapshotMB = flag.Int("rrdp.snapshotmb", 300, "size in MB of the generated snapshot BenchmarkParseSnapshot parses")

const (
	genSession = "0b1e2f6a-4c4b-4b9e-9a33-2c1d5e6f7a8b"
	genSerial  = 4242
)

// snapshotGen generates a snapshot of about size bytes on the fly: the same
// publish element (an object of objSize bytes, base64 in lines of lineLen
// characters) repeated, each with its own URI. It holds one element, never
// the document.
type snapshotGen struct {
	head, tail []byte
	elem       []byte // one publish element; "%08d" in the URI is rewritten per copy
	uriAt      int    // where the 8 digits are in elem
	left       int    // elements still to emit
	n          int
	pending    []byte
	stage      int // 0 head, 1 elements, 2 tail, 3 done
}

func newSnapshotGen(size int64, objSize, lineLen int) *snapshotGen {
	obj := make([]byte, objSize)
	for i := range obj {
		obj[i] = byte(i*7 + i>>8)
	}
	b64 := base64.StdEncoding.EncodeToString(obj)
	var body bytes.Buffer
	for i := 0; i < len(b64); i += lineLen {
		body.WriteString("\n      ")
		body.WriteString(b64[i:min(len(b64), i+lineLen)])
	}
	prefix := `  <publish uri="rsync://rpki.example.net/repo/ca/`
	elem := []byte(prefix + `00000000.roa">` + body.String() + "\n  </publish>\n")
	g := &snapshotGen{
		head:  []byte(fmt.Sprintf(`<snapshot xmlns="%s" version="1" session_id="%s" serial="%d">`+"\n", Namespace, genSession, genSerial)),
		tail:  []byte("</snapshot>\n"),
		elem:  elem,
		uriAt: len(prefix),
		left:  int(max(1, size/int64(len(elem)))),
	}
	g.pending = g.head
	return g
}

func (g *snapshotGen) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		switch {
		case g.stage == 0 && g.left > 0:
			g.stage = 1
			fallthrough
		case g.stage == 1 && g.left > 0:
			copy(g.elem[g.uriAt:], fmt.Appendf(nil, "%08d", g.n%100000000))
			g.n++
			g.left--
			g.pending = g.elem
		case g.stage < 2:
			g.stage = 2
			g.pending = g.tail
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, g.pending)
	g.pending = g.pending[n:]
	return n, nil
}

// heapPeak samples HeapInuse until stopped and returns the largest value.
func heapPeak() (stop func() uint64) {
	var (
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				sample()
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// BenchmarkParseSnapshot streams a generated snapshot (300 MB unless
// -rrdp.snapshotmb says otherwise) through ParseSnapshot with a Handler
// that discards content, and reports the throughput and the peak heap.
func BenchmarkParseSnapshot(b *testing.B) {
	for _, shape := range []struct {
		name    string
		lineLen int
	}{
		{"lines64", 64},
		{"oneline", 1 << 30},
	} {
		b.Run(shape.name, func(b *testing.B) {
			size := int64(*benchSnapshotMB) << 20
			var total int64
			b.ReportAllocs()
			runtime.GC()
			stop := heapPeak()
			for b.Loop() {
				g := newSnapshotGen(size, 2500, shape.lineLen)
				cr := &countReader{r: g}
				if err := ParseSnapshot(cr, genSession, genSerial, new(discard)); err != nil {
					b.Fatal(err)
				}
				total = cr.n
			}
			peak := stop()
			b.SetBytes(total)
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkParseSnapshotHashed is BenchmarkParseSnapshot's lines64 case
// with the SHA-256 of the whole file checked by a HashingReader, as the
// fetcher does it.
func BenchmarkParseSnapshotHashed(b *testing.B) {
	size := int64(*benchSnapshotMB) << 20
	h := new(recorderHash)
	var want [32]byte
	if _, err := io.Copy(h, newSnapshotGen(size, 2500, 64)); err != nil {
		b.Fatal(err)
	}
	want = h.sum()
	b.ReportAllocs()
	b.SetBytes(h.n)
	for b.Loop() {
		r := NewHashingReader(newSnapshotGen(size, 2500, 64), want)
		if err := ParseSnapshot(r, genSession, genSerial, new(discard)); err != nil {
			b.Fatal(err)
		}
	}
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// recorderHash is a SHA-256 io.Writer that counts what it hashed.
type recorderHash struct {
	h hash.Hash
	n int64
}

func (r *recorderHash) Write(p []byte) (int, error) {
	if r.h == nil {
		r.h = sha256.New()
	}
	r.n += int64(len(p))
	return r.h.Write(p)
}

func (r *recorderHash) sum() (s [32]byte) {
	r.h.Sum(s[:0])
	return s
}
