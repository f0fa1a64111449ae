package object

import (
	"strings"
	"unicode/utf8"
)

// GBR is a parsed Ghostbusters Record (RFC 6493): contact details for the
// people behind a CA, as a restricted vCard 4.0. Values are kept as the
// vCard writes them (escapes and parameters included); tally only shows
// them to people.
type GBR struct {
	VCard     string   // the eContent as sent, folded lines and all
	FN        string   // formatted name
	ORG       string   // organisation; "" when absent
	Addresses []string // ADR values
	Phones    []string // TEL values
	Emails    []string // EMAIL values
	Signed    *SignedObject
}

// ParseGBR parses a Ghostbusters Record: the CMS wrapper and its vCard.
// RFC 6493 puts the vCard text itself in eContent, with no ASN.1 around it.
// Nothing in the result aliases der except Signed.
func ParseGBR(der []byte) (*GBR, error) {
	so, err := ParseSignedObject(der, oidCTGBR)
	if err != nil {
		return nil, err
	}
	g, err := parseGBRContent(so.Content)
	if err != nil {
		return nil, within("Ghostbusters vCard", err)
	}
	g.Signed = so
	return g, nil
}

// maxVCard bounds the vCard: real ones are a few hundred bytes, and the
// record is shown to people, so a megabyte of it is an attack, not contact
// details.
const maxVCard = 64 << 10

// parseGBRContent checks the vCard against the profile of RFC 6493 §5 on top
// of RFC 6350: BEGIN first, VERSION:4.0 second, END last; FN present; at
// least one of ADR, TEL or EMAIL; no other properties.
func parseGBRContent(content []byte) (*GBR, error) {
	const rule = "RFC 6493 §5"
	if len(content) > maxVCard {
		return nil, malformed(rule, "%d bytes, more than %d", len(content), maxVCard)
	}
	if !utf8.Valid(content) {
		return nil, malformed("RFC 6350 §3.1", "not UTF-8")
	}
	lines, err := unfoldVCard(string(content))
	if err != nil {
		return nil, err
	}
	n := len(lines)
	if n < 4 || !strings.EqualFold(lines[0], "BEGIN:VCARD") ||
		!strings.EqualFold(lines[1], "VERSION:4.0") || !strings.EqualFold(lines[n-1], "END:VCARD") {
		return nil, malformed(rule, "want BEGIN:VCARD, VERSION:4.0, ..., END:VCARD")
	}
	g := &GBR{VCard: string(content)}
	var fn int
	for i, line := range lines[2 : n-1] {
		name, value, ok := splitVCardLine(line)
		if !ok {
			return nil, malformed("RFC 6350 §3.3", "line %d: want name:value", i+3)
		}
		switch strings.ToUpper(name) {
		case "FN":
			fn++
			g.FN = value
		case "ORG":
			if g.ORG != "" {
				return nil, malformed(rule, "line %d: ORG twice", i+3)
			}
			g.ORG = value
		case "ADR":
			g.Addresses = append(g.Addresses, value)
		case "TEL":
			g.Phones = append(g.Phones, value)
		case "EMAIL":
			g.Emails = append(g.Emails, value)
		default:
			// BEGIN, VERSION and END included: they appear once, where
			// checked above.
			return nil, malformed(rule, "line %d: property %q not allowed", i+3, name)
		}
	}
	if fn != 1 {
		return nil, malformed(rule, "%d FN properties, want 1", fn)
	}
	if len(g.Addresses)+len(g.Phones)+len(g.Emails) == 0 {
		return nil, malformed(rule, "none of ADR, TEL, EMAIL")
	}
	return g, nil
}

// unfoldVCard splits a vCard into logical lines (RFC 6350 §3.2): lines end
// in CRLF, and a line starting with a space or tab continues the one before
// it, that first character removed.
func unfoldVCard(s string) ([]string, error) {
	if !strings.HasSuffix(s, "\r\n") {
		return nil, malformed("RFC 6350 §3.2", "last line not ended by CRLF")
	}
	raw := strings.Split(s[:len(s)-2], "\r\n")
	lines := make([]string, 0, len(raw))
	for i, l := range raw {
		if strings.ContainsAny(l, "\r\n") {
			return nil, malformed("RFC 6350 §3.2", "line %d: bare CR or LF", i+1)
		}
		if l != "" && (l[0] == ' ' || l[0] == '\t') {
			if len(lines) == 0 {
				return nil, malformed("RFC 6350 §3.2", "line 1: continuation with nothing to continue")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		if l == "" {
			return nil, malformed("RFC 6350 §3.2", "line %d: empty", i+1)
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// splitVCardLine splits a content line "[group.]name[;params]:value" into
// the property name and the value (RFC 6350 §3.3). The value starts after
// the first ':' outside a double-quoted parameter value.
func splitVCardLine(line string) (name, value string, ok bool) {
	quoted := false
	colon := -1
	for k := 0; k < len(line) && colon < 0; k++ {
		switch line[k] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				colon = k
			}
		}
	}
	if colon < 0 {
		return "", "", false
	}
	name, _, _ = strings.Cut(line[:colon], ";")
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
		name = name[dot+1:] // drop the group
	}
	if name == "" {
		return "", "", false
	}
	for k := 0; k < len(name); k++ {
		if c := name[k]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return "", "", false
		}
	}
	return name, line[colon+1:], true
}
