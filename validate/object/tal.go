package object

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strconv"
	"strings"
)

// TAL is a parsed trust anchor locator (RFC 8630).
type TAL struct {
	// URIs are the TA certificate URIs in the order the file gives them,
	// rsync:// and https:// only. They need not share a file name: RFC 8630
	// §2.3 only requires that every URI serves the same certificate, which
	// validate checks by comparing the certificate's key with PublicKey.
	URIs      []string
	SPKI      []byte           // subjectPublicKeyInfo DER, decoded from the base64 section
	PublicKey crypto.PublicKey // always an *rsa.PublicKey
}

// maxURILength bounds a TA URI. Real ones are under 100 bytes; the bound
// keeps a garbage file from passing a megabyte line on as a "URI".
const maxURILength = 1024

// ParseTAL parses a TAL file (RFC 8630 §2.2): optional comment lines
// starting with '#', then one or more TA URIs, one per line, then an empty
// line, then the base64 subjectPublicKeyInfo, possibly over several lines.
// Lines end in LF or CRLF. Nothing in the result aliases data.
//
// Layouts older validators accept are rejected: the RFC 6490 form with no
// empty line before the key, RIPE "properties" files, URIs with leading
// blanks, and URIs of other schemes (http://, ftp://), which RFC 8630 §2.3
// does not allow even as ones to ignore.
func ParseTAL(data []byte) (*TAL, error) {
	const rule = "RFC 8630 §2.2"
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	// The final line break leaves an empty last element. Blank lines after
	// the key are tolerated too: they cannot change what the file means.
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}

	i := 0
	for i < len(lines) && strings.HasPrefix(lines[i], "#") {
		i++
	}
	tal := &TAL{}
	for ; i < len(lines) && lines[i] != ""; i++ {
		if err := checkTAURI(lines[i]); err != nil {
			return nil, within("line "+strconv.Itoa(i+1), err)
		}
		tal.URIs = append(tal.URIs, lines[i])
	}
	if len(tal.URIs) == 0 {
		return nil, malformed(rule, "line %d: want a TA URI", i+1)
	}
	if i == len(lines) {
		return nil, malformed(rule, "no empty line and key after the URIs")
	}
	i++ // the empty line that ends the URI section

	var b64 strings.Builder
	for j := i; j < len(lines); j++ {
		if lines[j] == "" {
			return nil, malformed(rule, "line %d: empty line inside the key", j+1)
		}
		b64.WriteString(lines[j])
	}
	if b64.Len() == 0 {
		return nil, malformed(rule, "subjectPublicKeyInfo missing")
	}
	spki, err := base64.StdEncoding.Strict().DecodeString(b64.String())
	if err != nil {
		return nil, malformed(rule, "subjectPublicKeyInfo: bad base64: %v", err)
	}
	key, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return nil, malformed(rule, "subjectPublicKeyInfo: %v", err)
	}
	if _, ok := key.(*rsa.PublicKey); !ok {
		return nil, malformed("RFC 7935 §3", "subjectPublicKeyInfo: %T, want RSA", key)
	}
	tal.SPKI, tal.PublicKey = spki, key
	return tal, nil
}

// checkTAURI checks one line of the URI section. RFC 8630 §2.3 allows
// rsync and HTTPS URIs, each naming a single object, never a directory.
func checkTAURI(uri string) error {
	const rule = "RFC 8630 §2.3"
	if len(uri) > maxURILength {
		return malformed(rule, "URI of %d bytes: longer than %d", len(uri), maxURILength)
	}
	for k := 0; k < len(uri); k++ {
		// Printable ASCII without space (RFC 3986 §2): this also rejects the
		// leading blanks and stray CRs some hand-edited TALs carry.
		if c := uri[k]; c <= ' ' || c >= 0x7f {
			return malformed(rule, "URI %q: byte %#02x at offset %d", uri, c, k)
		}
	}
	var rest string
	var minSegments int
	switch {
	case strings.HasPrefix(uri, "rsync://"):
		rest, minSegments = uri[len("rsync://"):], 1
	case strings.HasPrefix(uri, "https://"):
		rest, minSegments = uri[len("https://"):], 1
	default:
		return malformed(rule, "URI %q: want rsync:// or https://", uri)
	}
	if strings.ContainsAny(rest, "?#") {
		return malformed(rule, "URI %q: query or fragment", uri)
	}
	host, path, _ := strings.Cut(rest, "/")
	if host == "" || strings.Contains(host, "@") {
		return malformed(rule, "URI %q: want a host and no user", uri)
	}
	segs := strings.Split(path, "/")
	if path == "" || len(segs) < minSegments {
		return malformed(rule, "URI %q: names no object", uri)
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return malformed(rule, "URI %q: empty or dot path segment", uri)
		}
	}
	return nil
}
