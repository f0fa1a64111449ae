package rrdp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// unescape expands references in an attribute value and normalizes
// whitespace characters to spaces (XML 1.0 §3.3.3).
func unescape(v []byte) (string, error) {
	if bytes.IndexAny(v, "&<\t\r\n") < 0 {
		return string(v), nil
	}
	var b strings.Builder
	for len(v) > 0 {
		c := v[0]
		switch c {
		case '<':
			return "", errors.New("'<' in value")
		case '\t', '\r', '\n':
			b.WriteByte(' ')
			v = v[1:]
		case '&':
			r, n, err := parseRef(v)
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
			v = v[n:]
		default:
			b.WriteByte(c)
			v = v[1:]
		}
	}
	return b.String(), nil
}

// maxRefLen is the longest reference parseRef accepts: "&#x10FFFF;" or a
// decimal one with a few leading zeros.
const maxRefLen = 12

// parseRef decodes the entity or character reference at the start of p and
// returns the character and the reference's length. Only the five
// predefined entities exist here: there is no DTD to declare others.
func parseRef(p []byte) (rune, int, error) {
	end := bytes.IndexByte(p[:min(len(p), maxRefLen)], ';')
	if end < 0 {
		return 0, 0, fmt.Errorf("bad reference %q", clip(p))
	}
	name := string(p[1:end])
	switch name {
	case "lt":
		return '<', end + 1, nil
	case "gt":
		return '>', end + 1, nil
	case "amp":
		return '&', end + 1, nil
	case "quot":
		return '"', end + 1, nil
	case "apos":
		return '\'', end + 1, nil
	}
	r, ok := charRef(name)
	if !ok {
		return 0, 0, fmt.Errorf("undefined entity or bad reference &%s;", name)
	}
	return r, end + 1, nil
}

// charRef decodes "#123" or "#x7b" to a character XML allows (XML 1.0 §2.2).
func charRef(name string) (rune, bool) {
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	digits, base := name[1:], rune(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if digits == "" {
		return 0, false
	}
	var r rune
	for _, c := range []byte(digits) {
		d := rune(-1)
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		}
		if d < 0 {
			return 0, false
		}
		r = r*base + d
		if r > 0x10FFFF {
			return 0, false
		}
	}
	ok := r == '\t' || r == '\n' || r == '\r' ||
		(0x20 <= r && r <= 0xD7FF) || (0xE000 <= r && r <= 0xFFFD) || r >= 0x10000
	return r, ok
}
