package rrdp

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

const (
	snapRoot  = `<snapshot xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="` + testSession + `" serial="3">`
	deltaRoot = `<delta xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="` + testSession + `" serial="3">`
	objURI    = "rsync://repo.example.net/ca/obj.roa"
)

// objA is a small object whose base64 has padding; objB one without.
var (
	objA    = []byte("RPKI object A!\x00\xff") // 16 bytes: base64 ends in "=="
	objB    = []byte("object B.")
	b64A    = base64.StdEncoding.EncodeToString(objA)
	b64B    = base64.StdEncoding.EncodeToString(objB)
	sumA    = sha256.Sum256(objA)
	sumB    = sha256.Sum256(objB)
	sumNone = sha256.Sum256(nil)
)

func pub(uri, attrs, content string) string {
	return `<publish uri="` + uri + `"` + attrs + `>` + content + `</publish>`
}

// lines splits s into lines of n characters, each indented.
func lines(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		b.WriteString("\n    ")
		b.WriteString(s[i:min(len(s), i+n)])
	}
	return b.String() + "\n  "
}

func TestParseSnapshot(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []event // nil with rule set: want an error
		rule string
	}{
		{name: "two objects",
			doc: snapRoot + "\n  " + pub(objURI, "", b64A) + "\n  " + pub(objURI+"2", "", b64B) + "\n</snapshot>\n",
			want: []event{
				{op: "publish", uri: objURI, hash: sumA, size: int64(len(objA))},
				{op: "publish", uri: objURI + "2", hash: sumB, size: int64(len(objB))},
			}},
		{name: "base64 with line breaks and indentation",
			doc:  snapRoot + pub(objURI, "", lines(b64A, 4)) + "</snapshot>",
			want: []event{{op: "publish", uri: objURI, hash: sumA, size: int64(len(objA))}}},
		{name: "CRLF and tabs",
			doc:  snapRoot + pub(objURI, "", "\r\n\t"+b64A[:8]+"\r\n\t"+b64A[8:]+"\r\n") + "</snapshot>",
			want: []event{{op: "publish", uri: objURI, hash: sumA, size: int64(len(objA))}}},
		{name: "references and a comment in the text",
			doc:  snapRoot + pub(objURI, "", b64A[:4]+"&#10;<!-- x -->"+"&#x"+strings.ToUpper(hex2(b64A[4]))+";"+b64A[5:]) + "</snapshot>",
			want: []event{{op: "publish", uri: objURI, hash: sumA, size: int64(len(objA))}}},
		{name: "empty publish", doc: snapRoot + `<publish uri="` + objURI + `"/>` + pub(objURI+"2", "", "  ") + "</snapshot>",
			want: []event{
				{op: "publish", uri: objURI, hash: sumNone},
				{op: "publish", uri: objURI + "2", hash: sumNone},
			}},
		{name: "child repeats xmlns",
			doc:  snapRoot + pub(objURI, ` xmlns="http://www.ripe.net/rpki/rrdp"`, b64A) + "</snapshot>",
			want: []event{{op: "publish", uri: objURI, hash: sumA, size: int64(len(objA))}}},
		{name: "no objects", doc: snapRoot + "</snapshot>", want: []event{}},
		{name: "self-closed root", doc: strings.TrimSuffix(snapRoot, ">") + "/>", want: []event{}},

		{name: "publish with hash", rule: snapshotRule, doc: snapRoot + pub(objURI, ` hash="`+hexA+`"`, b64A) + "</snapshot>"},
		{name: "withdraw", rule: snapshotRule, doc: snapRoot + `<withdraw uri="` + objURI + `" hash="` + hexA + `"/></snapshot>`},
		{name: "unknown element", rule: snapshotRule, doc: snapRoot + `<update uri="` + objURI + `"/></snapshot>`},
		{name: "unknown attribute", rule: snapshotRule, doc: snapRoot + pub(objURI, ` size="3"`, b64A) + "</snapshot>"},
		{name: "no uri", rule: snapshotRule, doc: snapRoot + `<publish>` + b64A + `</publish></snapshot>`},
		{name: "https uri", rule: snapshotRule, doc: snapRoot + pub("https://repo.example.net/x.roa", "", b64A) + "</snapshot>"},
		{name: "uri with NUL reference", rule: "XML 1.0", doc: snapRoot + pub("rsync://h/&#0;", "", b64A) + "</snapshot>"},
		{name: "uri with control character", rule: snapshotRule, doc: snapRoot + pub("rsync://h/\x01", "", b64A) + "</snapshot>"},
		{name: "wrong session", rule: snapshotRule, doc: strings.Replace(snapRoot, "9df4", "0df4", 1) + "</snapshot>"},
		{name: "wrong serial", rule: snapshotRule, doc: strings.Replace(snapRoot, `serial="3"`, `serial="4"`, 1) + "</snapshot>"},
		{name: "delta root", rule: snapshotRule, doc: deltaRoot + pub(objURI, "", b64A) + "</delta>"},
		{name: "bad base64 character", rule: snapshotRule, doc: snapRoot + pub(objURI, "", b64A[:4]+"*"+b64A[4:]) + "</snapshot>"},
		{name: "non-ASCII in base64", rule: snapshotRule, doc: snapRoot + pub(objURI, "", b64A[:4]+"é"+b64A[4:]) + "</snapshot>"},
		{name: "reference to a non-base64 character", rule: snapshotRule, doc: snapRoot + pub(objURI, "", "&#x2a;"+b64A) + "</snapshot>"},
		{name: "undefined entity in base64", rule: "XML 1.0 §4.1", doc: snapRoot + pub(objURI, "", "&lol;"+b64A) + "</snapshot>"},
		{name: "CDATA in base64", rule: "XML 1.0", doc: snapRoot + pub(objURI, "", "<![CDATA["+b64A+"]]>") + "</snapshot>"},
		{name: "base64 without padding", rule: "RFC 4648 §4", doc: snapRoot + pub(objURI, "", strings.TrimRight(b64A, "=")) + "</snapshot>"},
		{name: "base64 after padding", rule: "RFC 4648 §4", doc: snapRoot + pub(objURI, "", b64A+"\n"+b64B) + "</snapshot>"},
		{name: "padding inside a chunk", rule: "RFC 4648 §4", doc: snapRoot + pub(objURI, "", "AA==AAAA") + "</snapshot>"},
		{name: "element inside publish", rule: snapshotRule, doc: snapRoot + pub(objURI, "", b64A+"<x/>") + "</snapshot>"},
		{name: "text between publishes", rule: "RFC 8182 §3.5.4", doc: snapRoot + pub(objURI, "", b64A) + "AAAA</snapshot>"},
		{name: "DOCTYPE", rule: "XML 1.0 §2.8", doc: "<!DOCTYPE snapshot [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + snapRoot + "</snapshot>"},
		{name: "trailing element", rule: "XML 1.0 §2.1", doc: snapRoot + "</snapshot><snapshot/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := new(recorder)
			err := ParseSnapshot(strings.NewReader(tt.doc), testSession, 3, rec)
			if tt.rule != "" {
				if err == nil {
					t.Fatal("want an error, got none")
				}
				if !errors.Is(err, ErrProtocol) || ruleOf(err) != tt.rule {
					t.Fatalf("got %v (rule %q), want ErrProtocol with rule %q", err, ruleOf(err), tt.rule)
				}
				if errors.Is(err, ErrHandler) {
					t.Errorf("a document fault matches ErrHandler: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rec.events, cmp.AllowUnexported(event{})); diff != "" && len(tt.want)+len(rec.events) > 0 {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func hex2(c byte) string { return string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15]) }

func TestParseDelta(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []event
		rule string
	}{
		{name: "publish, replace, withdraw",
			doc: deltaRoot + pub(objURI, "", b64A) + pub(objURI+"2", ` hash="`+hexA+`"`, b64B) +
				`<withdraw uri="` + objURI + `3" hash="` + strings.ToUpper(hexA) + `"/>` +
				`<withdraw uri="` + objURI + `4" hash="` + hexA + `">  </withdraw></delta>`,
			want: []event{
				{op: "publish", uri: objURI, hash: sumA, size: int64(len(objA))},
				{op: "publish", uri: objURI + "2", replaces: &testHash, hash: sumB, size: int64(len(objB))},
				{op: "withdraw", uri: objURI + "3", hash: testHash},
				{op: "withdraw", uri: objURI + "4", hash: testHash},
			}},
		{name: "empty delta", rule: "RFC 8182 §3.5.4", doc: deltaRoot + "\n</delta>"},
		{name: "self-closed root", rule: "RFC 8182 §3.5.4", doc: strings.TrimSuffix(deltaRoot, ">") + "/>"},
		{name: "withdraw without hash", rule: deltaRule, doc: deltaRoot + `<withdraw uri="` + objURI + `"/></delta>`},
		{name: "withdraw with text", rule: "RFC 8182 §3.5.4", doc: deltaRoot + `<withdraw uri="` + objURI + `" hash="` + hexA + `">` + b64A + `</withdraw></delta>`},
		{name: "publish with short hash", rule: deltaRule, doc: deltaRoot + pub(objURI, ` hash="abcd"`, b64A) + "</delta>"},
		{name: "snapshot root", rule: deltaRule, doc: snapRoot + pub(objURI, "", b64A) + "</snapshot>"},
		{name: "wrong serial", rule: deltaRule, doc: strings.Replace(deltaRoot, `serial="3"`, `serial="2"`, 1) + pub(objURI, "", b64A) + "</delta>"},
		{name: "version 2", rule: deltaRule, doc: strings.Replace(deltaRoot, `version="1"`, `version="2"`, 1) + pub(objURI, "", b64A) + "</delta>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := new(recorder)
			err := ParseDelta(strings.NewReader(tt.doc), strings.ToUpper(testSession), 3, rec)
			if tt.rule != "" {
				if !errors.Is(err, ErrProtocol) || ruleOf(err) != tt.rule {
					t.Fatalf("got %v (rule %q), want ErrProtocol with rule %q", err, ruleOf(err), tt.rule)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rec.events, cmp.AllowUnexported(event{})); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestTruncated cuts a good snapshot at every byte: each prefix must fail
// with ErrTruncated, even where the Handler has already seen elements.
func TestTruncated(t *testing.T) {
	doc := "<?xml version=\"1.0\"?>\n" + snapRoot + "\n  " + pub(objURI, "", lines(b64A, 8)) +
		"\n  <!-- between -->" + pub(objURI+"2", "", b64B) + "\n</snapshot>"
	if err := ParseSnapshot(strings.NewReader(doc), testSession, 3, new(recorder)); err != nil {
		t.Fatal(err)
	}
	for i := range len(doc) - 1 {
		rec := new(recorder)
		// OneByteReader makes every buffer boundary fall on every byte.
		err := ParseSnapshot(iotest.OneByteReader(strings.NewReader(doc[:i])), testSession, 3, rec)
		if !errors.Is(err, ErrTruncated) || !errors.Is(err, ErrProtocol) {
			t.Fatalf("cut at %d (handler saw %d): got %v, want ErrTruncated", i, len(rec.events), err)
		}
	}
}

// TestOneByteReads parses a corpus snapshot one byte per Read and compares
// the result with a normal parse.
func TestOneByteReads(t *testing.T) {
	doc := readCorpus(t, regressDir+"snapshot.xml")
	session, serial := rootIDs(t, doc)
	a, b := new(recorder), new(recorder)
	if err := ParseSnapshot(strings.NewReader(string(doc)), session, serial, a); err != nil {
		t.Fatal(err)
	}
	if err := ParseSnapshot(iotest.OneByteReader(strings.NewReader(string(doc))), session, serial, b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.events, b.events, cmp.AllowUnexported(event{})); diff != "" {
		t.Errorf("(-whole +one byte)\n%s", diff)
	}
}

// bigPublish streams a snapshot with one publish whose content decodes to
// quanta*3 - cut bytes, without holding it.
func bigPublish(quanta int64, padded bool) io.Reader {
	body := io.LimitReader(&repeatReader{pattern: []byte("QUJD")}, 4*(quanta-1))
	last := "QUJD"
	if padded {
		last = "QUI="
	}
	return ioMulti(snapRoot+`<publish uri="`+objURI+`">`, body, strings.NewReader(last+"</publish></snapshot>"))
}

func TestObjectSize(t *testing.T) {
	// MaxObjectSize = 3*2796202 + 2: the largest allowed object ends in a
	// padded quantum.
	quanta := int64(MaxObjectSize+2) / 3
	rec := new(recorder)
	if err := ParseSnapshot(bigPublish(quanta, true), testSession, 3, rec); err != nil {
		t.Fatalf("object of MaxObjectSize: %v", err)
	}
	if len(rec.events) != 1 || rec.events[0].size != MaxObjectSize {
		t.Fatalf("got %+v, want one object of %d bytes", rec.events, MaxObjectSize)
	}
	rec = new(recorder)
	err := ParseSnapshot(bigPublish(quanta, false), testSession, 3, rec)
	if !errors.Is(err, ErrProtocol) || ruleOf(err) != "limit" {
		t.Fatalf("object of MaxObjectSize+1: got %v, want a limit error", err)
	}
	if rec.readErr == nil {
		t.Error("the Handler's reads did not fail")
	}
	// A Handler that reads nothing gets the same error from the drain.
	err = ParseSnapshot(bigPublish(quanta, false), testSession, 3, handlerFuncs{})
	if !errors.Is(err, ErrProtocol) || ruleOf(err) != "limit" {
		t.Fatalf("unread oversized object: got %v, want a limit error", err)
	}
}

// handlerFuncs is a Handler built from functions; nil ones do nothing.
type handlerFuncs struct {
	publish  func(uri string, replaces *[32]byte, content io.Reader) error
	withdraw func(uri string, hash [32]byte) error
}

func (h handlerFuncs) Publish(uri string, replaces *[32]byte, content io.Reader) error {
	if h.publish == nil {
		return nil
	}
	return h.publish(uri, replaces, content)
}

func (h handlerFuncs) Withdraw(uri string, hash [32]byte) error {
	if h.withdraw == nil {
		return nil
	}
	return h.withdraw(uri, hash)
}

func TestErrorKinds(t *testing.T) {
	diskFull := errors.New("disk full")
	netDown := errors.New("connection reset")
	good := deltaRoot + pub(objURI, "", b64A) + `<withdraw uri="` + objURI + `" hash="` + hexA + `"/></delta>`
	bad := deltaRoot + pub(objURI, "", "!!!!") + "</delta>"
	tests := []struct {
		name     string
		r        io.Reader
		h        Handler
		protocol bool
		handler  bool
		is       error // also matched, when set
	}{
		{name: "publish fails", r: strings.NewReader(good), handler: true, is: diskFull,
			h: handlerFuncs{publish: func(string, *[32]byte, io.Reader) error { return diskFull }}},
		{name: "withdraw fails", r: strings.NewReader(good), handler: true, is: diskFull,
			h: handlerFuncs{withdraw: func(string, [32]byte) error { return diskFull }}},
		{name: "handler finds the hash wrong", r: strings.NewReader(good), handler: true, protocol: true,
			h: handlerFuncs{withdraw: func(string, [32]byte) error {
				return &Error{Rule: "RFC 8182 §3.4.2", Msg: "withdraw: hash mismatch"}
			}}},
		{name: "handler hides a content error", r: strings.NewReader(bad), protocol: true,
			h: handlerFuncs{publish: func(_ string, _ *[32]byte, c io.Reader) error {
				if _, err := io.ReadAll(c); err != nil {
					return diskFull // not what happened: the parser knows better
				}
				return nil
			}}},
		{name: "handler ignores a content error", r: strings.NewReader(bad), protocol: true,
			h: handlerFuncs{publish: func(_ string, _ *[32]byte, c io.Reader) error {
				_, err := c.Read(make([]byte, 10))
				_ = err
				return nil
			}}},
		{name: "reader fails", r: io.MultiReader(strings.NewReader(good[:100]), iotest.ErrReader(netDown)),
			h: new(recorder), is: netDown},
		{name: "reader fails inside content", r: io.MultiReader(strings.NewReader(good[:len(deltaRoot)+60]), iotest.ErrReader(netDown)),
			h: new(recorder), is: netDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseDelta(tt.r, testSession, 3, tt.h)
			if err == nil {
				t.Fatal("want an error")
			}
			if errors.Is(err, ErrProtocol) != tt.protocol || errors.Is(err, ErrHandler) != tt.handler {
				t.Errorf("%v: ErrProtocol %v ErrHandler %v, want %v %v", err,
					errors.Is(err, ErrProtocol), errors.Is(err, ErrHandler), tt.protocol, tt.handler)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v does not match %v", err, tt.is)
			}
		})
	}
}

// TestPartialReads has the Handler read content in odd sizes, 1 and 2 bytes
// included, and stop early: the parse must still check the whole element.
func TestPartialReads(t *testing.T) {
	obj := make([]byte, 100000)
	for i := range obj {
		obj[i] = byte(i * 13)
	}
	want := sha256.Sum256(obj)
	doc := snapRoot + pub(objURI, "", lines(base64.StdEncoding.EncodeToString(obj), 76)) + "</snapshot>"
	for _, size := range []int{1, 2, 3, 5, 1000, 12287, 65536} {
		h := handlerFuncs{publish: func(_ string, _ *[32]byte, c io.Reader) error {
			sum := sha256.New()
			buf := make([]byte, size)
			for {
				n, err := c.Read(buf)
				sum.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
			}
			if got := [32]byte(sum.Sum(nil)); got != want {
				t.Errorf("reads of %d: content differs", size)
			}
			return nil
		}}
		if err := ParseSnapshot(strings.NewReader(doc), testSession, 3, h); err != nil {
			t.Fatalf("reads of %d: %v", size, err)
		}
	}
	// Reading only the start leaves the rest to be checked.
	broken := strings.Replace(doc, "</publish>", "*</publish>", 1)
	h := handlerFuncs{publish: func(_ string, _ *[32]byte, c io.Reader) error {
		_, err := c.Read(make([]byte, 10))
		return err
	}}
	if err := ParseSnapshot(strings.NewReader(broken), testSession, 3, h); !errors.Is(err, ErrProtocol) {
		t.Fatalf("unread bad tail: got %v, want ErrProtocol", err)
	}
}

func TestHashingReader(t *testing.T) {
	doc := snapRoot + pub(objURI, "", b64A) + "</snapshot>\n"
	sum := sha256.Sum256([]byte(doc))
	if err := ParseSnapshot(NewHashingReader(strings.NewReader(doc), sum), testSession, 3, new(discard)); err != nil {
		t.Fatalf("right hash: %v", err)
	}
	// Trailing whitespace is part of the file and of its hash.
	err := ParseSnapshot(NewHashingReader(strings.NewReader(doc+" "), sum), testSession, 3, new(discard))
	if !errors.Is(err, ErrProtocol) || ruleOf(err) != "RFC 8182 §3.5.1.3" {
		t.Fatalf("wrong hash: got %v, want RFC 8182 §3.5.1.3", err)
	}
}
