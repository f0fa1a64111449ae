package cache

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ErrBadURI is the sentinel behind every error ParseURI returns.
var ErrBadURI = errors.New("bad uri")

// Limits on untrusted URIs. Real RPKI URIs are under 150 bytes with
// segments under 64; the limits only stop absurd input early.
const (
	maxURILen     = 2048 // whole URI, scheme included
	maxSegmentLen = 255  // one path segment: NAME_MAX on common file systems
	maxHostLen    = 253  // RFC 1035 §2.3.4, without the trailing dot
	maxLabelLen   = 63   // RFC 1035 §2.3.4
)

// URI is an rsync or https URI that passed ParseURI. Its zero value is
// not a valid URI. URIs are comparable; two equal URIs name the same file.
type URI struct {
	scheme string // "rsync" or "https"
	host   string // lower case; an IPv6 literal keeps its brackets
	port   string // decimal without leading zeros, or "" when absent
	path   string // no leading slash; a trailing slash marks a directory
}

// ParseURI checks an untrusted URI and returns it in canonical form.
//
// It accepts only rsync://host[:port]/path and https://host[:port]/path.
// The host is a DNS name (letters, digits and hyphens in dot-separated
// labels), an IPv4 address, or an IPv6 address in brackets without a zone;
// it is lower-cased. The port, if given, is 1–65535. The path must have at
// least one segment and may end with a slash (a directory). No user info,
// query or fragment is allowed.
//
// Every path segment is non-empty, at most 255 bytes, does not begin with
// a dot (so "." and ".." are impossible, and dot names stay free for the
// cache's own files), and uses only letters, digits and "-_.~+=:@,".
// A "%" is rejected outright rather than decoded: RPKI URIs never need
// escapes, and decoding would let "%2e%2e" or "%2f" mean something other
// than what a reader sees. Errors wrap ErrBadURI.
func ParseURI(s string) (URI, error) {
	if len(s) > maxURILen {
		return URI{}, badURI(s, "longer than %d bytes", maxURILen)
	}
	var u URI
	rest, ok := cutScheme(s, &u)
	if !ok {
		return URI{}, badURI(s, "scheme is not rsync:// or https://")
	}
	authority, path, ok := strings.Cut(rest, "/")
	if !ok || path == "" {
		return URI{}, badURI(s, "no path")
	}
	if err := u.parseAuthority(authority); err != nil {
		return URI{}, badURI(s, "%v", err)
	}
	if err := checkPath(path); err != nil {
		return URI{}, badURI(s, "%v", err)
	}
	u.path = path
	return u, nil
}

func badURI(s, format string, args ...any) error {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return fmt.Errorf("%w %q: %s", ErrBadURI, s, fmt.Sprintf(format, args...))
}

// cutScheme sets u.scheme from the case-insensitive scheme of s and
// returns what follows "://".
func cutScheme(s string, u *URI) (string, bool) {
	for _, scheme := range []string{"rsync", "https"} {
		prefix := scheme + "://"
		if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
			u.scheme = scheme
			return s[len(prefix):], true
		}
	}
	return "", false
}

// parseAuthority sets u.host and u.port from host[:port].
func (u *URI) parseAuthority(a string) error {
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return errors.New("unclosed '[' in host")
		}
		host, port = a[:end+1], a[end+1:]
		if port != "" && port[0] != ':' {
			return fmt.Errorf("junk %q after IPv6 literal", port)
		}
		port = strings.TrimPrefix(port, ":")
		if port == "" && strings.HasSuffix(a, ":") {
			return errors.New("empty port")
		}
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
		if port == "" {
			return errors.New("empty port")
		}
	}
	h, err := canonicalHost(host)
	if err != nil {
		return err
	}
	u.host = h
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 || port[0] == '0' {
			return fmt.Errorf("bad port %q", port)
		}
		u.port = port
	}
	return nil
}

// canonicalHost checks a host and returns it lower-cased.
func canonicalHost(h string) (string, error) {
	if h == "" {
		return "", errors.New("no host")
	}
	if strings.HasPrefix(h, "[") {
		addr, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !addr.Is6() || addr.Zone() != "" {
			return "", fmt.Errorf("bad IPv6 literal %q", h)
		}
		return "[" + addr.String() + "]", nil
	}
	if len(h) > maxHostLen {
		return "", fmt.Errorf("host longer than %d bytes", maxHostLen)
	}
	h = strings.ToLower(h)
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if !validLabel(l) {
			return "", fmt.Errorf("bad host %q", h)
		}
	}
	// A name whose last label is all digits can only be an IPv4
	// address (RFC 3696 §2), so "999.1.1.1" or "1.2.3" is refused.
	if allDigits(labels[len(labels)-1]) {
		addr, err := netip.ParseAddr(h)
		if err != nil || !addr.Is4() {
			return "", fmt.Errorf("bad IPv4 address %q", h)
		}
		return addr.String(), nil
	}
	return h, nil
}

// validLabel reports whether l is a lower-case LDH label (RFC 1123 §2.1).
func validLabel(l string) bool {
	if l == "" || len(l) > maxLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkPath checks the path after the authority's slash. One trailing
// slash is allowed; it marks a directory.
func checkPath(p string) error {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return errors.New("no path")
	}
	for seg := range strings.SplitSeq(p, "/") {
		if err := checkSegment(seg); err != nil {
			return err
		}
	}
	return nil
}

// checkSegment checks one path segment; see ParseURI for the rules.
func checkSegment(seg string) error {
	switch {
	case seg == "":
		return errors.New("empty path segment")
	case len(seg) > maxSegmentLen:
		return fmt.Errorf("path segment longer than %d bytes", maxSegmentLen)
	case seg[0] == '.':
		return fmt.Errorf("path segment %q begins with a dot", seg)
	}
	for i := 0; i < len(seg); i++ {
		if !segmentByte(seg[i]) {
			return fmt.Errorf("path segment %q: character %q not allowed", seg, seg[i])
		}
	}
	return nil
}

// segmentByte reports whether c may appear in a path segment. The set is
// the unreserved characters of RFC 3986 §2.3 and a few sub-delimiters
// that are harmless in file names; it excludes "%", "/", "\", quotes,
// shell metacharacters, "?", "#", spaces, control and non-ASCII bytes.
func segmentByte(c byte) bool { return segmentBytes[c] }

// segmentBytes is segmentByte as a table, built once and never changed:
// every path of every file read goes through it.
var segmentBytes = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-_.~+=:@,", byte(c)) >= 0
	}
	return t
}()

// String returns the URI in canonical form: lower-case scheme and host,
// the port only if one was given.
func (u URI) String() string {
	return u.scheme + "://" + u.authority() + "/" + u.path
}

// Scheme returns "rsync" or "https".
func (u URI) Scheme() string { return u.scheme }

// Host returns the lower-cased host; an IPv6 literal keeps its brackets.
func (u URI) Host() string { return u.host }

// Port returns the port as written, or "" when the URI has none.
func (u URI) Port() string { return u.port }

// IsDir reports whether the URI ends with a slash.
func (u URI) IsDir() bool { return strings.HasSuffix(u.path, "/") }

// IsZero reports whether u is the zero URI, which ParseURI never returns.
func (u URI) IsZero() bool { return u.scheme == "" }

func (u URI) authority() string {
	if u.port == "" {
		return u.host
	}
	return u.host + ":" + u.port
}

// Path returns the URI as a relative slash-separated path: the host (with
// ":port" when the URI has a port) as the first directory, then the URI's
// path without its trailing slash, e.g. "rpki.example.net/repo/a.roa" or
// "127.0.0.1:8873/repo". The scheme is not part of it; the cache keeps
// rsync and https downloads in different areas. The result never has an
// empty, "." or ".." element and never begins with a slash.
func (u URI) Path() string {
	return u.authority() + "/" + strings.TrimSuffix(u.path, "/")
}

// IsUnder reports whether u names something strictly below the directory
// dir: same scheme, host and port, and dir's path followed by a slash is a
// prefix of u's path. dir is taken as a directory whether or not it ends
// with a slash. It is what checks that a published file lies inside a
// publication point.
func (u URI) IsUnder(dir URI) bool {
	if u.IsZero() || dir.IsZero() || u.scheme != dir.scheme ||
		u.host != dir.host || u.port != dir.port {
		return false
	}
	prefix := strings.TrimSuffix(dir.path, "/") + "/"
	return len(u.path) > len(prefix) && strings.HasPrefix(u.path, prefix)
}
