package objecttest

import (
	"encoding/base64"
	"strings"
)

// TAL returns a Trust Anchor Locator (RFC 8630 §2.2): one URI a line, an
// empty line, and the base64 SubjectPublicKeyInfo in lines of 64
// characters, each line ending in "\n".
func TAL(uris []string, spki []byte) []byte {
	var sb strings.Builder
	for _, u := range uris {
		sb.WriteString(u + "\n")
	}
	sb.WriteString("\n")
	b64 := base64.StdEncoding.EncodeToString(spki)
	for len(b64) > 64 {
		sb.WriteString(b64[:64] + "\n")
		b64 = b64[64:]
	}
	sb.WriteString(b64 + "\n")
	return []byte(sb.String())
}

// TAL returns a TAL for iss naming uris, or its certificate URI when none
// is given.
func (iss *Issuer) TAL(uris ...string) []byte {
	if len(uris) == 0 {
		uris = []string{iss.URI}
	}
	return TAL(uris, iss.SPKI())
}
