package rrdp

import (
	"encoding/base64"
	"io"
)

// MaxObjectSize bounds the decoded content of one publish element. The
// largest RPKI objects seen in the wild (big CRLs and manifests) are a few
// hundred kilobytes; a bound keeps a hostile repository from filling the disk
// through one element. A larger object fails the whole document.
const MaxObjectSize = 8 << 20

// encSize is how many base64 characters are decoded in one step.
const encSize = 16 << 10

// Byte classes inside publish text.
const (
	clOther  = iota // not allowed
	clBase64        // A-Z a-z 0-9 + / =
	clSpace         // XML whitespace, which base64Binary ignores
	clMarkup        // '<' or '&': the scanner must look closer
)

// textClass classifies bytes of publish text. It is read-only.
var textClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '+', c == '/', c == '=':
			t[c] = clBase64
		case isSpace(byte(c)):
			t[c] = clSpace
		case c == '<', c == '&':
			t[c] = clMarkup
		}
	}
	return t
}()

// contentReader decodes the base64 text of one publish element straight from
// the scanner's buffer. Its first error is sticky, so the parser sees it even
// if the Handler drops it.
type contentReader struct {
	s    *scanner
	path string // "snapshot/publish[3]", for messages

	enc    [encSize]byte // base64 characters gathered, not yet decoded
	nEnc   int
	tiny   [3]byte // decoded bytes for a Read with len(p) < 3
	tinyR  int
	tinyW  int
	total  int64 // decoded bytes so far
	padded bool  // a quantum ended in '=': the data is over
	done   bool  // the text ended at a '<'
	err    error
}

// reset prepares c for the content of a new element. An empty element has
// no text to read.
func (c *contentReader) reset(path string, empty bool) {
	s := c.s
	*c = contentReader{s: s, path: path, done: empty}
}

// Read implements io.Reader over the decoded content.
func (c *contentReader) Read(p []byte) (int, error) {
	if c.tinyR < c.tinyW {
		n := copy(p, c.tiny[c.tinyR:c.tinyW])
		c.tinyR += n
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) < len(c.tiny) {
		n, err := c.read(c.tiny[:])
		c.tinyR, c.tinyW = 0, n
		if n == 0 {
			return 0, err
		}
		return c.Read(p)
	}
	return c.read(p)
}

// read decodes into p, which holds at least 3 bytes, and returns at least
// one byte unless it returns an error.
func (c *contentReader) read(p []byte) (int, error) {
	for c.err == nil {
		if c.done && c.nEnc == 0 {
			return 0, io.EOF
		}
		// Gather no more than p can take once decoded.
		if err := c.gather(min(len(c.enc), len(p)/3*4)); err != nil {
			c.err = err
			break
		}
		n, err := c.decode(p)
		if err != nil {
			c.err = err
			break
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, c.err
}

// drain decodes and discards what the Handler did not read, so that the
// whole element is checked and the scanner ends at its end tag.
func (c *contentReader) drain() error {
	var sink [3 * encSize / 4]byte
	for {
		_, err := c.read(sink[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// gather moves base64 characters from the scanner into c.enc until it holds
// limit characters or the text ends. Whitespace is dropped; a comment is
// skipped; a reference is decoded.
func (c *contentReader) gather(limit int) error {
	s := c.s
	for c.nEnc < limit && !c.done {
		if s.r == s.w && !s.fill() {
			return s.inputErr("inside " + c.path)
		}
		n, i := c.nEnc, s.r
		for ; i < s.w && n < limit; i++ {
			b := s.buf[i]
			cl := textClass[b]
			if cl == clBase64 {
				c.enc[n] = b
				n++
			} else if cl != clSpace {
				break
			}
		}
		c.nEnc, s.r = n, i
		if i < s.w && n < limit {
			if err := c.markup(); err != nil {
				return err
			}
		}
	}
	return nil
}

// markup handles the byte at s.r that stopped gather: the end of the text,
// a comment, a reference or a character that base64 does not allow.
func (c *contentReader) markup() error {
	s := c.s
	switch b := s.buf[s.r]; {
	case b == '<':
		if s.cutShort("<!--") {
			return s.inputErr("inside " + c.path)
		}
		if s.hasPrefix("<!--") {
			s.r += 4
			return s.skipPast("-->", "inside a comment")
		}
		if s.hasPrefix("<!") {
			return s.fail(xmlRule, "%s: CDATA section or markup declaration not allowed", c.path)
		}
		c.done = true // the scanner reads the end tag
		return nil
	case b == '&':
		s.ensure(maxRefLen)
		r, n, err := parseRef(s.buf[s.r:s.w])
		if err != nil {
			return s.fail(xmlRule+" §4.1", "%s: %v", c.path, err)
		}
		if r < 0x80 && textClass[r] == clBase64 {
			c.enc[c.nEnc] = byte(r)
			c.nEnc++
		} else if r >= 0x80 || textClass[r] != clSpace {
			return s.fail("RFC 8182 §3.5.2.3", "%s: reference to %q is not base64", c.path, r)
		}
		s.r += n
		return nil
	default:
		return s.fail("RFC 8182 §3.5.2.3", "%s: byte %#02x is not base64", c.path, b)
	}
}

// decode decodes the whole quanta in c.enc into p and keeps the rest.
func (c *contentReader) decode(p []byte) (int, error) {
	k := c.nEnc &^ 3
	if c.done && k != c.nEnc {
		return 0, c.s.fail("RFC 4648 §4", "%s: base64 length %d not a multiple of 4",
			c.path, c.total/3*4+int64(c.nEnc))
	}
	if k == 0 {
		return 0, nil
	}
	if c.padded {
		return 0, c.s.fail("RFC 4648 §4", "%s: base64 data after padding", c.path)
	}
	n, err := base64.StdEncoding.Decode(p, c.enc[:k])
	if err != nil {
		return 0, c.s.fail("RFC 4648 §4", "%s: bad base64: %v", c.path, err)
	}
	c.padded = c.enc[k-1] == '='
	c.total += int64(n)
	if c.total > MaxObjectSize {
		return 0, c.s.fail("limit", "%s: content larger than %d bytes", c.path, MaxObjectSize)
	}
	c.nEnc = copy(c.enc[:], c.enc[k:c.nEnc])
	return n, nil
}
