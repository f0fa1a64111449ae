package rrdp

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Namespace is the XML namespace of every RRDP element (RFC 8182 §3.5.4).
const Namespace = "http://www.ripe.net/rpki/rrdp"

// MaxURILen bounds every URI in an RRDP document. Real ones are under 300
// bytes; the bound keeps paths and logs sane (DESIGN.md §4: "a bounded
// length").
const MaxURILen = 2048

// attrSet holds the attributes of one element, checked against the names
// the element allows.
type attrSet struct {
	path  string // "notification/delta[3]", for messages
	rule  string
	attrs []attr
}

// checkNames rejects attributes outside allowed, and an xmlns that is not
// the RRDP namespace. The root must declare the namespace; children may
// repeat it.
func (a attrSet) checkNames(root bool, allowed ...string) error {
	hasNS := false
	for _, at := range a.attrs {
		if at.name == "xmlns" {
			if at.value != Namespace {
				return fmt.Errorf("%s: namespace %q, want %q", a.path, at.value, Namespace)
			}
			hasNS = true
			continue
		}
		ok := false
		for _, name := range allowed {
			ok = ok || at.name == name
		}
		if !ok {
			return fmt.Errorf("%s: attribute %s not allowed", a.path, at.name)
		}
	}
	if root && !hasNS {
		return fmt.Errorf("%s: no xmlns=%q", a.path, Namespace)
	}
	return nil
}

// get returns the value of a required attribute.
func (a attrSet) get(name string) (string, error) {
	v, ok := a.lookup(name)
	if !ok {
		return "", fmt.Errorf("%s: attribute %s missing", a.path, name)
	}
	return v, nil
}

func (a attrSet) lookup(name string) (string, bool) {
	for _, at := range a.attrs {
		if at.name == name {
			return at.value, true
		}
	}
	return "", false
}

// version checks version="1".
func (a attrSet) version() error {
	v, err := a.get("version")
	if err != nil {
		return err
	}
	if v != "1" {
		return fmt.Errorf("%s: version %q, want 1", a.path, v)
	}
	return nil
}

// serial reads a serial number: a positive decimal integer without sign or
// leading zeros that fits 64 bits.
func (a attrSet) serial() (uint64, error) {
	v, err := a.get("serial")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 || v[0] < '1' || v[0] > '9' {
		return 0, fmt.Errorf("%s: serial %q is not a positive integer of 64 bits", a.path, v)
	}
	return n, nil
}

// sessionID reads a UUID in the textual form of RFC 4122 §3 and returns it
// in lower case (UUIDs compare case-insensitively).
func (a attrSet) sessionID() (string, error) {
	v, err := a.get("session_id")
	if err != nil {
		return "", err
	}
	if !isUUID(v) {
		return "", fmt.Errorf("%s: session_id %q is not a UUID", a.path, v)
	}
	return strings.ToLower(v), nil
}

func isUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := range len(v) {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// hash reads a SHA-256 hash written as 64 hex digits in either case.
func (a attrSet) hash() ([32]byte, error) {
	var h [32]byte
	v, err := a.get("hash")
	if err != nil {
		return h, err
	}
	if len(v) != 2*len(h) {
		return h, fmt.Errorf("%s: hash has %d characters, want 64 hex digits", a.path, len(v))
	}
	if _, err := hex.Decode(h[:], []byte(v)); err != nil {
		return h, fmt.Errorf("%s: hash %q is not hex", a.path, v)
	}
	return h, nil
}

// httpsURI reads a uri attribute that must be an https URL with a host.
func (a attrSet) httpsURI() (string, error) {
	v, err := a.get("uri")
	if err != nil {
		return "", err
	}
	if err := checkURIChars(v); err != nil {
		return "", fmt.Errorf("%s: uri: %v", a.path, err)
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("%s: uri %q is not an https URL", a.path, v)
	}
	return v, nil
}

// rsyncURI reads the uri of a publish or withdraw: an rsync URI of printable
// ASCII. Whether it is a safe path, and one the repository may write, is for
// the cache to decide (DESIGN.md §4).
func (a attrSet) rsyncURI() (string, error) {
	v, err := a.get("uri")
	if err != nil {
		return "", err
	}
	if err := checkURIChars(v); err != nil {
		return "", fmt.Errorf("%s: uri: %v", a.path, err)
	}
	if len(v) <= len("rsync://") || !strings.EqualFold(v[:len("rsync://")], "rsync://") {
		return "", fmt.Errorf("%s: uri %q is not an rsync URI", a.path, v)
	}
	return v, nil
}

// checkURIChars allows printable ASCII without spaces (RFC 3986 §2), up to
// MaxURILen bytes.
func checkURIChars(v string) error {
	if len(v) > MaxURILen {
		return fmt.Errorf("longer than %d bytes", MaxURILen)
	}
	for i := range len(v) {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return fmt.Errorf("byte %#02x not allowed", v[i])
		}
	}
	return nil
}

// SameOrigin reports whether uri has the same origin as notifyURI: the same
// scheme, host and port, with the scheme's default port filled in (RFC 6454
// §4). RFC 9674 requires snapshot and delta URIs to be on the notification's
// origin, so that a repository cannot point relying parties at a third party.
func SameOrigin(notifyURI, uri string) bool {
	a, err := url.Parse(notifyURI)
	if err != nil {
		return false
	}
	b, err := url.Parse(uri)
	if err != nil {
		return false
	}
	if a.Scheme == "" || a.Host == "" || a.Scheme != b.Scheme {
		return false
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// port returns the URL's port, or the default one for its scheme.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch u.Scheme {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
