package rrdp

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// maxSeed bounds a fuzz seed: Go's fuzzer minimizes each new interesting
// input byte by byte, which takes minutes on a large one. TestCorpus covers
// the documents whole.
const maxSeed = 4 << 10

// fuzzSeeds adds the corpus documents of kind, shortened, and crafted ones.
func fuzzSeeds(f *testing.F, kind string, crafted ...string) {
	for _, c := range corpusDocs {
		if c.kind == kind {
			f.Add(shorten(readCorpus(f, c.path), kind))
		}
	}
	for _, s := range crafted {
		f.Add([]byte(s))
	}
}

// looseIDs is rootIDs without failing: fuzzed documents carry their own
// session and serial, so the fuzzer gets past the root checks.
func looseIDs(doc []byte) (string, uint64) {
	head := doc[:min(len(doc), 2048)]
	m1, m2 := sessionRE.FindSubmatch(head), serialRE.FindSubmatch(head)
	if m1 == nil || m2 == nil {
		return testSession, 3
	}
	serial, err := strconv.ParseUint(string(m2[1]), 10, 64)
	if err != nil {
		return string(m1[1]), 3
	}
	return string(m1[1]), serial
}

func FuzzParseNotification(f *testing.F) {
	fuzzSeeds(f, "notification",
		notif(goodRoot, goodSnap+goodDelta),
		"<?xml version='1.0'?><!-- c -->"+notif(goodRoot, goodSnap)+"<?pi?>",
	)
	f.Fuzz(func(t *testing.T, doc []byte) {
		n, err := ParseNotification(bytes.NewReader(doc), 1<<20)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("bad input gave an untyped error: %v", err)
			}
			return
		}
		if n == nil {
			t.Fatal("nil Notification without an error")
		}
		if !isUUID(n.SessionID) || strings.ToLower(n.SessionID) != n.SessionID || n.Serial == 0 {
			t.Fatalf("bad header %q %d", n.SessionID, n.Serial)
		}
		if !strings.HasPrefix(n.Snapshot.URI, "https://") {
			t.Fatalf("snapshot URI %q", n.Snapshot.URI)
		}
		for i, d := range n.Deltas {
			if d.Serial == 0 || d.Serial > n.Serial || (i > 0 && d.Serial <= n.Deltas[i-1].Serial) {
				t.Fatalf("delta serials out of order or range: %+v", n.Deltas)
			}
		}
		m, err := ParseNotification(iotest.OneByteReader(bytes.NewReader(doc)), 1<<20)
		if err != nil {
			t.Fatalf("one byte at a time: %v", err)
		}
		if diff := cmp.Diff(n, m); diff != "" {
			t.Fatalf("one byte at a time differs (-whole +bytes):\n%s", diff)
		}
	})
}

// fuzzUpdates runs parse over doc whole and one byte per Read: both must
// agree, and every error must match ErrProtocol.
func fuzzUpdates(t *testing.T, doc []byte, parse func(r io.Reader, session string, serial uint64, h Handler) error) {
	session, serial := looseIDs(doc)
	rec := new(recorder)
	err := parse(bytes.NewReader(doc), session, serial, rec)
	if err != nil && !errors.Is(err, ErrProtocol) {
		t.Fatalf("bad input gave an untyped error: %v", err)
	}
	for _, ev := range rec.events {
		if ev.size > MaxObjectSize {
			t.Fatalf("object of %d bytes passed", ev.size)
		}
	}
	if len(doc) > 64<<10 {
		return
	}
	rec2 := new(recorder)
	err2 := parse(iotest.OneByteReader(bytes.NewReader(doc)), session, serial, byteHandler{rec2})
	if (err == nil) != (err2 == nil) {
		t.Fatalf("whole: %v; one byte at a time: %v", err, err2)
	}
	if err == nil {
		if diff := cmp.Diff(rec.events, rec2.events, cmp.AllowUnexported(event{})); diff != "" {
			t.Fatalf("one byte at a time differs (-whole +bytes):\n%s", diff)
		}
	}
}

// byteHandler hands a recorder content one byte per Read.
type byteHandler struct{ r *recorder }

func (b byteHandler) Publish(uri string, replaces *[32]byte, content io.Reader) error {
	return b.r.Publish(uri, replaces, iotest.OneByteReader(content))
}

func (b byteHandler) Withdraw(uri string, hash [32]byte) error { return b.r.Withdraw(uri, hash) }

func FuzzParseSnapshot(f *testing.F) {
	fuzzSeeds(f, "snapshot",
		snapRoot+pub(objURI, "", lines(b64A, 4))+pub(objURI, "", "&#65;AA=<!---->")+"</snapshot>",
		strings.TrimSuffix(snapRoot, ">")+"/>",
	)
	f.Fuzz(func(t *testing.T, doc []byte) {
		fuzzUpdates(t, doc, func(r io.Reader, session string, serial uint64, h Handler) error {
			return ParseSnapshot(r, session, serial, h)
		})
	})
}

func FuzzParseDelta(f *testing.F) {
	fuzzSeeds(f, "delta",
		deltaRoot+pub(objURI, ` hash="`+hexA+`"`, b64B)+`<withdraw uri="`+objURI+`" hash="`+hexA+`"/></delta>`,
	)
	f.Fuzz(func(t *testing.T, doc []byte) {
		fuzzUpdates(t, doc, func(r io.Reader, session string, serial uint64, h Handler) error {
			return ParseDelta(r, session, serial, h)
		})
	})
}

// shorten cuts a document over maxSeed after the last whole child element
// that fits, and closes the root.
func shorten(doc []byte, kind string) []byte {
	if len(doc) <= maxSeed {
		return doc
	}
	head := doc[:maxSeed]
	cut := max(bytes.LastIndex(head, []byte("</publish>"))+len("</publish>"),
		bytes.LastIndex(head, []byte("/>"))+len("/>"))
	if cut < len("/>") {
		return head
	}
	return append(bytes.Clone(doc[:cut]), "\n</"+kind+">\n"...)
}
