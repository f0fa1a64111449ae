package rrdp

import (
	"fmt"
	"io"
	"strings"
)

const (
	snapshotRule = "RFC 8182 §3.5.2.3"
	deltaRule    = "RFC 8182 §3.5.3.3"
)

// Handler receives the publish and withdraw elements of a snapshot or delta
// in document order. Its calls are the parse's only effect; whatever they
// store must stay staged until ParseSnapshot or ParseDelta returns nil,
// because a later fault (a truncated document, a bad hash) voids them all.
//
// An error from a Handler method stops the parse and comes back wrapped so
// that it matches ErrHandler as well as what it wraps. A Handler that finds
// the document at fault (a replaced or withdrawn file whose hash does not
// match, RFC 8182 §3.4.2) returns an *Error, which matches ErrProtocol.
type Handler interface {
	// Publish stores content under uri, an rsync URI of printable ASCII
	// that the Handler must still check for path safety. replaces is nil in
	// a snapshot and for a new object in a delta; otherwise it is the hash
	// the current file must have. content yields the decoded object, at
	// most MaxObjectSize bytes, and is valid only during the call: what the
	// Handler leaves unread is read and checked after it returns. Errors
	// from content match ErrProtocol or come from the document's reader.
	Publish(uri string, replaces *[32]byte, content io.Reader) error

	// Withdraw removes uri, whose current file must have the given hash.
	Withdraw(uri string, hash [32]byte) error
}

// ParseSnapshot parses a snapshot file (RFC 8182 §3.5.2) and calls
// h.Publish for each object, with replaces nil. The root's session_id and
// serial must equal sessionID (compared case-insensitively) and serial,
// taken from the notification. See the package documentation for the
// errors, and for checking the file's hash with NewHashingReader.
func ParseSnapshot(r io.Reader, sessionID string, serial uint64, h Handler) error {
	return parseUpdates(r, "snapshot", snapshotRule, sessionID, serial, h)
}

// ParseDelta parses a delta file (RFC 8182 §3.5.3) and calls h.Publish or
// h.Withdraw for each element. The root's session_id and serial must equal
// sessionID and serial, taken from the notification. A delta must hold at
// least one element (the §3.5.4 schema). See the package documentation for
// the errors, and for checking the file's hash with NewHashingReader.
func ParseDelta(r io.Reader, sessionID string, serial uint64, h Handler) error {
	return parseUpdates(r, "delta", deltaRule, sessionID, serial, h)
}

// updateParser reads the children of a snapshot or delta root.
type updateParser struct {
	s       *scanner
	kind    string // "snapshot" or "delta"
	rule    string
	h       Handler
	content *contentReader // reused for every publish
}

func parseUpdates(r io.Reader, kind, rule, sessionID string, serial uint64, h Handler) error {
	s := newScanner(r)
	root, hdr, err := readRoot(s, kind, rule)
	if err != nil {
		return err
	}
	if !strings.EqualFold(hdr.sessionID, sessionID) {
		return &Error{Rule: rule, Offset: root.off,
			Msg: fmt.Sprintf("%s: session_id %s, notification has %s", kind, hdr.sessionID, sessionID)}
	}
	if hdr.serial != serial {
		return &Error{Rule: rule, Offset: root.off,
			Msg: fmt.Sprintf("%s: serial %d, notification has %d", kind, hdr.serial, serial)}
	}
	p := &updateParser{s: s, kind: kind, rule: rule, h: h, content: &contentReader{s: s}}
	n := 0
	for !root.empty {
		t, ok, err := nextChild(s, kind, rule)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := p.element(t, n); err != nil {
			return err
		}
		n++
	}
	if kind == "delta" && n == 0 {
		return &Error{Rule: "RFC 8182 §3.5.4", Msg: "delta: no publish or withdraw element", Offset: s.offset()}
	}
	return epilog(s)
}

// element handles child number i of the root.
func (p *updateParser) element(t tag, i int) error {
	switch {
	case t.name == "publish":
		return p.publish(t, fmt.Sprintf("%s/publish[%d]", p.kind, i))
	case t.name == "withdraw" && p.kind == "delta":
		return p.withdraw(t, fmt.Sprintf("delta/withdraw[%d]", i))
	}
	return &Error{Rule: p.rule, Msg: fmt.Sprintf("%s: element %s not allowed", p.kind, t.name), Offset: t.off}
}

// publish reads <publish uri [hash]>base64</publish> and passes the decoded
// content to the Handler as a stream.
func (p *updateParser) publish(t tag, path string) error {
	a := attrSet{path: path, attrs: t.attrs}
	allowed := []string{"uri"}
	if p.kind == "delta" {
		allowed = append(allowed, "hash")
	}
	if err := a.checkNames(false, allowed...); err != nil {
		return protoErr(p.rule, t.off, err)
	}
	uri, err := a.rsyncURI()
	if err != nil {
		return protoErr(p.rule, t.off, err)
	}
	var replaces *[32]byte
	if _, ok := a.lookup("hash"); ok {
		h, err := a.hash()
		if err != nil {
			return protoErr(p.rule, t.off, err)
		}
		replaces = &h
	}
	c := p.content
	c.reset(path, t.empty)
	herr := p.h.Publish(uri, replaces, c)
	if c.err != nil {
		return c.err // the document's fault or the reader's, whatever the Handler made of it
	}
	if herr != nil {
		return &handlerError{op: "publish", uri: uri, err: herr}
	}
	if err := c.drain(); err != nil {
		return err
	}
	return closeEmpty(p.s, t, path, p.rule)
}

// withdraw reads <withdraw uri hash/>.
func (p *updateParser) withdraw(t tag, path string) error {
	a := attrSet{path: path, attrs: t.attrs}
	if err := a.checkNames(false, "uri", "hash"); err != nil {
		return protoErr(p.rule, t.off, err)
	}
	uri, err := a.rsyncURI()
	if err != nil {
		return protoErr(p.rule, t.off, err)
	}
	h, err := a.hash()
	if err != nil {
		return protoErr(p.rule, t.off, err)
	}
	if err := closeEmpty(p.s, t, path, p.rule); err != nil {
		return err
	}
	if err := p.h.Withdraw(uri, h); err != nil {
		return &handlerError{op: "withdraw", uri: uri, err: err}
	}
	return nil
}
