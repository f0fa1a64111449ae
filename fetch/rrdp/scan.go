package rrdp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// bufSize is the read buffer: the most the scanner holds at once.
	bufSize = 64 << 10
	// maxTagLen bounds one start or end tag, attributes included. The longest
	// legal tag (delta or publish: a URI of MaxURILen, a hash, a serial) is well
	// under 4 KiB even with character references; a bound stops a peer from
	// making us buffer an endless tag.
	maxTagLen = 16 << 10
	// maxAttrs bounds the attributes of one element; no RRDP element has more
	// than five, counting a repeated xmlns.
	maxAttrs = 8
)

const xmlRule = "XML 1.0"

// tokKind tells what scanner.next found.
type tokKind int

const (
	tokEOF   tokKind = iota // the input ended cleanly
	tokStart                // a start tag, or an empty-element tag when tag.empty
	tokEnd                  // an end tag
)

// attr is one attribute with its value unescaped.
type attr struct {
	name, value string
}

// tag is a start or end tag.
type tag struct {
	kind  tokKind
	name  string
	attrs []attr
	empty bool  // <name/>: there is no content and no end tag
	off   int64 // offset of the '<'
}

// scanner tokenizes the XML subset the package accepts, straight from the
// input with a fixed buffer.
type scanner struct {
	src  io.Reader
	buf  []byte
	r, w int   // unread input is buf[r:w]
	base int64 // stream offset of buf[0]
	err  error // sticky error from src; io.EOF at the end of input
}

func newScanner(src io.Reader) *scanner {
	return &scanner{src: src, buf: make([]byte, bufSize)}
}

// offset returns the stream offset of the next unread byte.
func (s *scanner) offset() int64 { return s.base + int64(s.r) }

// fail builds an *Error at the current offset.
func (s *scanner) fail(rule, format string, args ...any) error {
	return &Error{Rule: rule, Msg: fmt.Sprintf(format, args...), Offset: s.offset()}
}

// fill reads more input after the unread bytes, moving them to the front of
// the buffer. It returns false when no more input can come; s.err says why.
func (s *scanner) fill() bool {
	if s.err != nil {
		return false
	}
	if s.r > 0 {
		n := copy(s.buf, s.buf[s.r:s.w])
		s.base += int64(s.r)
		s.r, s.w = 0, n
	}
	if s.w == len(s.buf) {
		return true // callers never need more than a full buffer
	}
	for range 100 {
		n, err := s.src.Read(s.buf[s.w:])
		s.w += n
		if err != nil {
			s.err = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.err = io.ErrNoProgress
	return false
}

// ensure tries to have n unread bytes buffered and reports whether it has.
func (s *scanner) ensure(n int) bool {
	for s.w-s.r < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// hasPrefix reports whether the unread input starts with p, reading more if
// needed.
func (s *scanner) hasPrefix(p string) bool {
	s.ensure(len(p))
	return bytes.HasPrefix(s.buf[s.r:s.w], []byte(p))
}

// cutShort reports whether the input ended within a prefix of p, so that
// the scanner cannot tell what markup it is reading.
func (s *scanner) cutShort(p string) bool {
	s.ensure(len(p))
	rest := s.buf[s.r:s.w]
	return s.err != nil && len(rest) < len(p) && bytes.HasPrefix([]byte(p), rest)
}

// inputErr explains why input stopped while more was needed: a truncated
// document when it ended cleanly, otherwise the reader's own error.
func (s *scanner) inputErr(where string) error {
	if s.err == io.EOF {
		return &Error{Rule: xmlRule, Msg: "document ends " + where, Offset: s.offset(), truncated: true}
	}
	return &readError{off: s.offset(), err: s.err}
}

// prolog skips a byte order mark and an XML declaration, then checks the
// declaration.
func (s *scanner) prolog() error {
	if s.hasPrefix("\xef\xbb\xbf") {
		s.r += 3
	}
	if !s.hasPrefix("<?xml") || !s.ensure(6) || !isSpace(s.buf[s.r+5]) {
		return nil
	}
	n, err := s.tagLen("?>", "in the XML declaration")
	if err != nil {
		return err
	}
	attrs, err := parseAttrs(s.buf[s.r+5 : s.r+n-2])
	if err != nil {
		return s.fail(xmlRule+" §2.8", "XML declaration: %v", err)
	}
	if err := checkDecl(attrs); err != nil {
		return s.fail(xmlRule+" §2.8", "XML declaration: %v", err)
	}
	s.r += n
	return nil
}

// checkDecl accepts XML 1.0 in UTF-8 or US-ASCII, the encodings RRDP
// documents use; the content of every accepted element is ASCII anyway.
func checkDecl(attrs []attr) error {
	for i, a := range attrs {
		switch {
		case a.name == "version" && i == 0:
			if a.value != "1.0" {
				return fmt.Errorf("version %q, want 1.0", a.value)
			}
		case a.name == "encoding" && i > 0:
			if !strings.EqualFold(a.value, "UTF-8") && !strings.EqualFold(a.value, "US-ASCII") {
				return fmt.Errorf("encoding %q not supported", a.value)
			}
		case a.name == "standalone" && i > 0:
			if a.value != "yes" && a.value != "no" {
				return fmt.Errorf("standalone %q", a.value)
			}
		default:
			return fmt.Errorf("unexpected %s", a.name)
		}
	}
	if len(attrs) == 0 {
		return errors.New("no version")
	}
	return nil
}

// next returns the next start or end tag, skipping whitespace, comments and
// processing instructions. Any other text is an error: callers read the
// text of publish elements with a contentReader before calling next.
// At a clean end of input it returns a tag of kind tokEOF.
func (s *scanner) next() (tag, error) {
	for {
		for s.r < s.w && isSpace(s.buf[s.r]) {
			s.r++
		}
		if s.r == s.w {
			if s.fill() {
				continue
			}
			if s.err == io.EOF {
				return tag{kind: tokEOF, off: s.offset()}, nil
			}
			return tag{}, s.inputErr("")
		}
		if s.buf[s.r] != '<' {
			return tag{}, s.fail("RFC 8182 §3.5.4", "text %q not allowed here", s.buf[s.r])
		}
		skipped, err := s.skipMisc()
		if err != nil {
			return tag{}, err
		}
		if skipped {
			continue
		}
		if s.hasPrefix("</") {
			return s.endTag()
		}
		return s.startTag()
	}
}

// skipMisc skips a comment or processing instruction at s.r and reports
// whether there was one. It rejects the other "<!" and "<?" forms.
func (s *scanner) skipMisc() (bool, error) {
	if s.cutShort("<!--") || s.cutShort("<!DOCTYPE") {
		return false, s.inputErr("inside markup")
	}
	switch {
	case s.hasPrefix("<!--"):
		s.r += 4
		return true, s.skipPast("-->", "inside a comment")
	case s.hasPrefix("<!DOCTYPE"):
		// A DTD can declare external entities (XXE) and nested entities that
		// expand exponentially ("billion laughs"); RRDP needs neither.
		return false, s.fail(xmlRule+" §2.8", "DOCTYPE not allowed")
	case s.hasPrefix("<!"):
		return false, s.fail(xmlRule, "CDATA section or markup declaration not allowed")
	case s.hasPrefix("<?"):
		s.r += 2
		if s.hasPrefix("xml") && s.ensure(4) && (isSpace(s.buf[s.r+3]) || s.buf[s.r+3] == '?') {
			return false, s.fail(xmlRule+" §2.8", "XML declaration not at the start")
		}
		return true, s.skipPast("?>", "inside a processing instruction")
	}
	return false, nil
}

// skipPast consumes input through the first occurrence of end.
func (s *scanner) skipPast(end, where string) error {
	for {
		if i := bytes.Index(s.buf[s.r:s.w], []byte(end)); i >= 0 {
			s.r += i + len(end)
			return nil
		}
		if keep := len(end) - 1; s.w-s.r > keep {
			s.r = s.w - keep // end may straddle the next read
		}
		if !s.fill() {
			return s.inputErr(where)
		}
	}
}

// tagLen buffers a whole tag starting at s.r and returns its length through
// end (">" or "?>"). A '>' inside a quoted attribute value does not end it.
func (s *scanner) tagLen(end, where string) (int, error) {
	var quote byte
	for i := 1; ; {
		for ; s.r+i < s.w; i++ {
			c := s.buf[s.r+i]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '>' && i+1 >= len(end) && s.buf[s.r+i+1-len(end)] == end[0]:
				return i + 1, nil
			case c == '<':
				return 0, s.fail(xmlRule, "'<' %s", where)
			}
		}
		if i > maxTagLen {
			return 0, s.fail("limit", "tag longer than %d bytes", maxTagLen)
		}
		if !s.fill() {
			return 0, s.inputErr(where)
		}
	}
}

// startTag reads "<name attr='value' ...>" or ".../>".
func (s *scanner) startTag() (tag, error) {
	t := tag{kind: tokStart, off: s.offset()}
	n, err := s.tagLen(">", "inside a start tag")
	if err != nil {
		return t, err
	}
	body := s.buf[s.r+1 : s.r+n-1]
	if len(body) > 0 && body[len(body)-1] == '/' {
		t.empty = true
		body = body[:len(body)-1]
	}
	name, rest := readName(body)
	if name == "" {
		return t, s.fail(xmlRule, "bad element name")
	}
	t.name = name
	if len(rest) > 0 && !isSpace(rest[0]) {
		return t, s.fail(xmlRule, "element %s: bad name", name)
	}
	if t.attrs, err = parseAttrs(rest); err != nil {
		return t, s.fail(xmlRule, "element %s: %v", name, err)
	}
	s.r += n
	return t, nil
}

// endTag reads "</name>".
func (s *scanner) endTag() (tag, error) {
	t := tag{kind: tokEnd, off: s.offset()}
	n, err := s.tagLen(">", "inside an end tag")
	if err != nil {
		return t, err
	}
	name, rest := readName(s.buf[s.r+2 : s.r+n-1])
	if name == "" || len(bytes.TrimLeft(rest, " \t\r\n")) > 0 {
		return t, s.fail(xmlRule, "bad end tag")
	}
	t.name = name
	s.r += n
	return t, nil
}

// parseAttrs reads whitespace-separated name="value" pairs.
func parseAttrs(p []byte) ([]attr, error) {
	var attrs []attr
	for {
		trimmed := bytes.TrimLeft(p, " \t\r\n")
		if len(trimmed) == 0 {
			return attrs, nil
		}
		if len(trimmed) == len(p) && len(attrs) > 0 {
			return nil, errors.New("no whitespace between attributes")
		}
		name, rest := readName(trimmed)
		if name == "" {
			return nil, fmt.Errorf("bad attribute name at %q", clip(trimmed))
		}
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 || rest[0] != '=' {
			return nil, fmt.Errorf("attribute %s: no '='", name)
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return nil, fmt.Errorf("attribute %s: value not quoted", name)
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return nil, fmt.Errorf("attribute %s: unterminated value", name)
		}
		value, err := unescape(rest[1 : 1+end])
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %v", name, err)
		}
		for _, a := range attrs {
			if a.name == name {
				return nil, fmt.Errorf("attribute %s repeated", name)
			}
		}
		if len(attrs) == maxAttrs {
			return nil, fmt.Errorf("more than %d attributes", maxAttrs)
		}
		attrs = append(attrs, attr{name: name, value: value})
		p = rest[2+end:]
	}
}

// readName reads an XML name made of ASCII letters, digits and "_:.-". RRDP
// names are all ASCII; a name with other characters is rejected as unknown
// or malformed.
func readName(p []byte) (string, []byte) {
	i := 0
	for i < len(p) && isNameByte(p[i], i == 0) {
		i++
	}
	return string(p[:i]), p[i:]
}

func isNameByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', c == ':':
		return true
	case '0' <= c && c <= '9', c == '.', c == '-':
		return !first
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// clip shortens input quoted in an error message.
func clip(p []byte) []byte {
	if len(p) > 16 {
		return p[:16]
	}
	return p
}
