package rrdp

import (
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// event is one Handler call as a recorder saw it.
type event struct {
	op       string // "publish" or "withdraw"
	uri      string
	replaces *[32]byte // publish
	hash     [32]byte  // withdraw: the hash given; publish: SHA-256 of the content
	size     int64
}

// recorder is a Handler that hashes content and records every call.
type recorder struct {
	events []event
	// readErr is the last error reading content gave, if any.
	readErr error
}

func (r *recorder) Publish(uri string, replaces *[32]byte, content io.Reader) error {
	h := sha256.New()
	n, err := io.Copy(h, content)
	if err != nil {
		r.readErr = err
		return err
	}
	ev := event{op: "publish", uri: uri, replaces: replaces, size: n}
	h.Sum(ev.hash[:0])
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) Withdraw(uri string, hash [32]byte) error {
	r.events = append(r.events, event{op: "withdraw", uri: uri, hash: hash})
	return nil
}

// discard is a Handler that reads and drops all content.
type discard struct{ n int }

func (d *discard) Publish(uri string, replaces *[32]byte, content io.Reader) error {
	d.n++
	_, err := io.Copy(io.Discard, content)
	return err
}

func (d *discard) Withdraw(uri string, hash [32]byte) error { d.n++; return nil }

// corpusDir returns the shared corpus next to the checkout, failing the test
// when it is missing.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus")
	if _, err := os.Stat(c); err != nil {
		tb.Fatalf("corpus missing: %v", err)
	}
	return c
}

// readCorpus reads a corpus file, gunzipping a .gz one.
func readCorpus(tb testing.TB, rel string) []byte {
	tb.Helper()
	path := filepath.Join(corpusDir(tb), rel)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			tb.Fatal(err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

var (
	sessionRE = regexp.MustCompile(`session_id="([^"]*)"`)
	serialRE  = regexp.MustCompile(`<(?:snapshot|delta)[^>]*\sserial="([0-9]+)"`)
)

// rootIDs pulls session_id and serial out of a document's root with a
// regexp, independently of the parser, so corpus documents can be checked
// against themselves.
func rootIDs(tb testing.TB, doc []byte) (string, uint64) {
	tb.Helper()
	head := doc[:min(len(doc), 2048)]
	m1, m2 := sessionRE.FindSubmatch(head), serialRE.FindSubmatch(head)
	if m1 == nil || m2 == nil {
		return "", 0
	}
	serial, err := strconv.ParseUint(string(m2[1]), 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return string(m1[1]), serial
}

// ruleOf returns the Rule of the *Error in err's chain, or "".
func ruleOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Rule
	}
	return ""
}

// repeatReader yields its pattern over and over, without end; bound it with
// io.LimitReader.
type repeatReader struct {
	pattern []byte
	off     int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.pattern[r.off:])
		n += c
		r.off = (r.off + c) % len(r.pattern)
	}
	return n, nil
}

// ioMulti reads prefix, then the readers in turn.
func ioMulti(prefix string, rs ...io.Reader) io.Reader {
	return io.MultiReader(append([]io.Reader{strings.NewReader(prefix)}, rs...)...)
}
