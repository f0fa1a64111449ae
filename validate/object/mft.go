package object

import (
	"crypto/sha256"
	"math/big"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Manifest is a parsed RPKI manifest (RFC 9286).
type Manifest struct {
	Number     *big.Int // manifestNumber: non-negative, at most 20 octets
	ThisUpdate time.Time
	NextUpdate time.Time // after ThisUpdate
	Files      []FileAndHash
	Signed     *SignedObject
}

// FileAndHash is one fileList entry: a file of the publication point and
// the SHA-256 of its contents. Names are unique within a manifest.
type FileAndHash struct {
	Name string
	Hash [sha256.Size]byte
}

// ParseManifest parses a manifest: the CMS wrapper, the eContent and the
// standalone checks of its EE certificate. It does not look at the clock
// or at the files listed; validate judges ThisUpdate and NextUpdate against
// now and compares the hashes with the files it has. Byte slices in Signed
// alias der; Files does not.
func ParseManifest(der []byte) (*Manifest, error) {
	so, err := ParseSignedObject(der, oidCTMFT)
	if err != nil {
		return nil, err
	}
	m, err := parseManifestContent(so.Content)
	if err != nil {
		return nil, within("manifest", err)
	}
	if err := checkInheritOnly(so.EE, "RFC 9286 §5.1"); err != nil {
		return nil, err
	}
	m.Signed = so
	return m, nil
}

// checkInheritOnly requires the EE certificate to describe its resources
// with "inherit" only: the one-use EE certificate of a manifest signs for
// the CA as a whole, never for a subset of its resources. The AS extension
// must be present and inherit too (a 2013 rpkid manifest without it is the
// case in point); rpki-client reads RFC 9286 §5.1 the same way, so no
// publication point that validates elsewhere is lost by it.
func checkInheritOnly(ee *Cert, rule string) error {
	r := ee.Resources
	switch {
	case r.IPv4 != nil && !r.IPv4.Inherit:
		return malformed(rule, "EE certificate: IPv4 resources listed, want inherit")
	case r.IPv6 != nil && !r.IPv6.Inherit:
		return malformed(rule, "EE certificate: IPv6 resources listed, want inherit")
	case r.AS == nil || !r.AS.Inherit:
		return malformed(rule, "EE certificate: AS resources absent or listed, want inherit")
	}
	return nil
}

// Tag of the EXPLICIT [0] that wraps a version field.
var tagExplicit0 = asn1.Tag(0).Constructed().ContextSpecific()

// parseManifestContent reads the eContent of a manifest (RFC 9286 §4.2):
//
//	Manifest ::= SEQUENCE {
//	  version     [0] INTEGER DEFAULT 0,
//	  manifestNumber  INTEGER (0..MAX),
//	  thisUpdate      GeneralizedTime,
//	  nextUpdate      GeneralizedTime,
//	  fileHashAlg     OBJECT IDENTIFIER,
//	  fileList        SEQUENCE SIZE (0..MAX) OF FileAndHash }
func parseManifestContent(content []byte) (*Manifest, error) {
	const rule = "RFC 9286 §4.2.1"
	input := cryptobyte.String(content)
	var seq cryptobyte.String
	if !input.ReadASN1(&seq, asn1.SEQUENCE) || !input.Empty() {
		return nil, malformed(rule, "want one DER SEQUENCE")
	}
	if err := readDefaultVersion(&seq, rule, 0); err != nil {
		return nil, err
	}
	m := &Manifest{Number: new(big.Int)}
	if !seq.ReadASN1Integer(m.Number) {
		return nil, malformed(rule, "manifestNumber: want DER INTEGER")
	}
	// 20 octets, a leading zero octet included, hold at most 159 value bits.
	if m.Number.Sign() < 0 || m.Number.BitLen() > 159 {
		return nil, malformed(rule, "manifestNumber: negative or longer than 20 octets")
	}
	if !readGeneralizedTimeZ(&seq, &m.ThisUpdate) {
		return nil, malformed(rule, "thisUpdate: want GeneralizedTime YYYYMMDDHHMMSSZ")
	}
	if !readGeneralizedTimeZ(&seq, &m.NextUpdate) {
		return nil, malformed(rule, "nextUpdate: want GeneralizedTime YYYYMMDDHHMMSSZ")
	}
	if !m.NextUpdate.After(m.ThisUpdate) {
		return nil, malformed(rule, "nextUpdate %s not after thisUpdate %s",
			m.NextUpdate.Format(time.RFC3339), m.ThisUpdate.Format(time.RFC3339))
	}
	var alg, list cryptobyte.String
	if !seq.ReadASN1(&alg, asn1.OBJECT_IDENTIFIER) {
		return nil, malformed(rule, "fileHashAlg: want OBJECT IDENTIFIER")
	}
	if !oidEqual(alg, oidSHA256) {
		return nil, malformed("RFC 7935 §2", "fileHashAlg: want SHA-256")
	}
	if !seq.ReadASN1(&list, asn1.SEQUENCE) {
		return nil, malformed(rule, "fileList: want SEQUENCE")
	}
	if !seq.Empty() {
		return nil, malformed(rule, "%d bytes after fileList", len(seq))
	}
	files, err := parseFileList(list)
	if err != nil {
		return nil, err
	}
	m.Files = files
	return m, nil
}

// readDefaultVersion reads an optional "version [0] INTEGER DEFAULT 0" and
// requires it to be absent when want is 0 and explicit and equal to want
// otherwise. DER leaves a field out when it has its default value (X.690
// §11.5), so an encoded 0 is a second encoding of the same object.
func readDefaultVersion(s *cryptobyte.String, rule string, want int64) error {
	var wrap cryptobyte.String
	var present bool
	if !s.ReadOptionalASN1(&wrap, &present, tagExplicit0) {
		return malformed(rule, "version: bad [0] EXPLICIT")
	}
	if !present {
		if want != 0 {
			return malformed(rule, "version absent, want %d", want)
		}
		return nil
	}
	var v int64
	if !wrap.ReadASN1Int64WithTag(&v, asn1.INTEGER) || !wrap.Empty() {
		return malformed(rule, "version: want one DER INTEGER")
	}
	if v == 0 {
		return malformed("X.690 §11.5", "version: DEFAULT 0 encoded explicitly")
	}
	if v != want {
		return malformed(rule, "version %d, want %d", v, want)
	}
	return nil
}

// readGeneralizedTimeZ reads a GeneralizedTime in the one form RFC 5280
// §4.1.2.5.2 allows: YYYYMMDDHHMMSSZ. cryptobyte alone would also take a
// +hhmm offset.
func readGeneralizedTimeZ(s *cryptobyte.String, out *time.Time) bool {
	var raw cryptobyte.String
	if !s.PeekASN1Tag(asn1.GeneralizedTime) {
		return false
	}
	elem := *s
	if !elem.ReadASN1(&raw, asn1.GeneralizedTime) || len(raw) != 15 || raw[14] != 'Z' {
		return false
	}
	return s.ReadASN1GeneralizedTime(out)
}

// The shortest valid FileAndHash: three 2-byte headers, a one-letter name
// with its dot and extension, the unused-bits octet and the digest.
const minFileAndHash = 2 + 2 + 5 + 2 + 1 + sha256.Size

// parseFileList reads the contents of fileList (RFC 9286 §4.2.1, §4.2.2).
func parseFileList(list cryptobyte.String) ([]FileAndHash, error) {
	const rule = "RFC 9286 §4.2.1"
	files := make([]FileAndHash, 0, len(list)/minFileAndHash) // bounded by the input
	for i := 0; !list.Empty(); i++ {
		var entry, name, bits cryptobyte.String
		if !list.ReadASN1(&entry, asn1.SEQUENCE) {
			return nil, malformed(rule, "fileList[%d]: want SEQUENCE", i)
		}
		if !entry.ReadASN1(&name, asn1.IA5String) {
			return nil, malformed(rule, "fileList[%d].file: want IA5String", i)
		}
		if !entry.ReadASN1(&bits, asn1.BIT_STRING) ||
			len(bits) != 1+sha256.Size || bits[0] != 0 {
			return nil, malformed(rule, "fileList[%d].hash: want 256 bits, no padding", i)
		}
		if !entry.Empty() {
			return nil, malformed(rule, "fileList[%d]: %d trailing bytes", i, len(entry))
		}
		if !validFileName(name) { // also rejects non-IA5 bytes
			return nil, malformed("RFC 9286 §4.2.2", "fileList[%d].file: bad name %q", i, name)
		}
		fh := FileAndHash{Name: string(name)}
		copy(fh.Hash[:], bits[1:])
		files = append(files, fh)
	}
	if dup, ok := duplicateName(files); ok {
		// Two hashes for one name leave the publication point's content
		// undefined; no honest CA writes that.
		return nil, malformed("RFC 9286 §4.2.2", "fileList: %q listed twice", dup)
	}
	return files, nil
}

// duplicateName returns a name that occurs twice in files, if any.
func duplicateName(files []FileAndHash) (string, bool) {
	names := make([]string, len(files))
	for i := range files {
		names[i] = files[i].Name
	}
	slices.Sort(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			return names[i], true
		}
	}
	return "", false
}

// validFileName checks RFC 9286 §4.2.2: one or more of [a-zA-Z0-9_-], one
// dot, a three-letter extension. Whether the extension is in the IANA
// "RPKI Repository Name Schemes" registry is left to validate: the registry
// grows, and a parser that knew only today's types would reject tomorrow's
// manifests outright.
func validFileName(name []byte) bool {
	n := len(name)
	if n < 5 || name[n-4] != '.' {
		return false
	}
	for _, c := range name[n-3:] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	for _, c := range name[:n-4] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
